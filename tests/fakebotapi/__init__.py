"""Tests of the fake Telegram Bot API (``bot.devtools.fakebotapi``), which every other test
talks to and ``newsbot dev-telegram`` ships."""
