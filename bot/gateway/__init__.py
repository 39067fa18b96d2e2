"""The gateway: our aiohttp service between every front end (web widget, WeChat, staff
console, programmatic clients) and Rasa. It keeps its own record of every conversation."""
