"""Local servers that speak the X API v2 and Reddit API subsets mentiondesk uses.

The real tweepy and praw clients talk to them in tests, in the demo, and when new
agents practise without posting in public.
"""
