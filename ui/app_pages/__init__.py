"""Streamlit pages, routed by ui/app.py with st.navigation."""
