"""The Streamlit dashboard on the gold tables (``loyalty-lake dashboard``)."""
