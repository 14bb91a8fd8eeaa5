"""Development tools shipped with newsbot; the running bot never imports them.

fakebotapi/     a local fake Telegram Bot API (the test suite's, too)
console.py      what a user types -> an update; a bot message -> terminal text (pure)
dev_telegram.py ``newsbot dev-telegram``: the fake on 127.0.0.1 and a console to chat with
"""
