# ruff: noqa: E501
"""Write samples/lumora_mentions.jsonl: hand-written demo mentions for the fictional brand Lumora.

Run: python samples/make_lumora_mentions.py  (deterministic: fixed seed, no clock).

Every text below is written by hand. The script only assembles them: it numbers ids in file
order, spreads arrival offsets over each phase of the 600 s demo, derives author ids,
conversation ids and engagement counts, and writes one JSON object per line.

Labels are written as "category topic sentiment reply", e.g. "complaint billing neg y";
a topic of "-" means none.
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

OUT = Path(__file__).with_name("lumora_mentions.jsonl")
SEED = 20240611

SENT = {"neg": "negative", "neu": "neutral", "pos": "positive"}

# (start_s, end_s, rows); rows in one phase get evenly spread offsets inside it.
PHASES: list[tuple[float, float, list[dict]]] = []
BY_KEY: dict[str, dict] = {}


def phase(start: float, end: float) -> None:
    PHASES.append((start, end, []))


def _add(platform, kind, who, label, text, *, to="", key="", lang="en", sub="", title=""):
    cat, topic, sent, reply = label.split()
    row = {
        "platform": platform,
        "kind": kind,
        "who": who,
        "text": text,
        "lang": lang,
        "to": to,
        "subreddit": sub,
        "title": title,
        "expected": {
            "category": cat,
            "topic": "none" if topic == "-" else topic,
            "sentiment": SENT[sent],
            "needs_reply": reply == "y",
        },
    }
    if key:
        assert key not in BY_KEY, key
        BY_KEY[key] = row
    if to:
        assert to in BY_KEY, to
        assert BY_KEY[to]["platform"] == platform, to
        if platform == "reddit":
            row["subreddit"] = BY_KEY[to]["subreddit"]
    PHASES[-1][2].append(row)
    return row


def x(who, label, text, **kw):
    """An X post."""
    return _add("x", "post", who, label, text, **kw)


def xr(who, to, label, text, **kw):
    """An X reply to the row with key ``to``."""
    return _add("x", "reply", who, label, text, to=to, **kw)


def rt(who, label, text, **kw):
    """An X repost (retweet)."""
    return _add("x", "repost", who, label, text, **kw)


def bs(who, label, text, **kw):
    """A Bluesky post; ``who`` is (handle.bsky.social, display name, followers)."""
    return _add("bluesky", "post", who, label, text, **kw)


def bsr(who, to, label, text, **kw):
    """A Bluesky reply to the row with key ``to``."""
    return _add("bluesky", "reply", who, label, text, to=to, **kw)


def rp(who, sub, label, title, text, **kw):
    """A Reddit submission (text is the selftext)."""
    return _add("reddit", "post", who, label, text, sub=sub, title=title, **kw)


def rc(who, to, label, text, **kw):
    """A Reddit comment on the submission with key ``to``."""
    return _add("reddit", "comment", who, label, text, to=to, **kw)


# --- recurring people -------------------------------------------------------------------
# X and Bluesky: (handle, display name, followers[, verified]); Reddit: (username, karma)
LUMORA = ("lumora", "Lumora", 58210, True)
HELP = ("lumorahelp", "Lumora Support", 14320, True)
OFFICIAL = ("lumora_official", 2210)

DANA = ("dana_kowal", "Dana Kowalski", 430)
BRANDON = ("mrbrightside88", "Brandon", 211)
PRIYA = ("priya.codes", "Priya", 3870)
TESSA = ("tessaray", "Tessa Ray", 248300, True)
RAFAEL = ("ribarra_tech", "Rafael Ibarra", 87400, True)
HANK = ("hank_homelab", "Hank | HomeLab", 41200)
TREVOR = ("its_me_trev", "Trevor", 230)
NATE = ("n8_the_gr8", "Nate", 2400)
KYLE = ("kyle_from_ops", "Kyle", 310)
HELENA = ("helena_v", "Helena Vogt", 3300)
ANDY = ("annoyed_andy", "Andy", 602)
JESS = ("jess_codes_at_night", "jess", 1100)
DAN = ("dadjokes_dan", "Dan", 1290)
RYAN = ("wry_ryan", "Ryan", 1800)
BEX = ("bex_reads", "Rebecca 📚", 2210)
GINA = ("gina_at_home", "Gina R.", 155)
KAYLA = ("kaylamarie_22", "Kayla Marie", 318)
MIKEY = ("mikeyv", "Mike Vasquez", 56)
HAL = ("hal9001_fan", "Dave", 231)
CWU = ("c_wu_design", "Christine Wu", 6800)
STACY = ("stacy_in_ohio", "Stacy", 412)
DAVE_R = ("outage_dave", "Dave R", 120)
HACKED_HAL = ("hacked_hal", "Hal", 80)

R_LAMP = ("lamplighter_77", 889)
R_SPARKY = ("SparkyMcSparkface", 12044)
R_MOD = ("mod_lumoralights", 18900)
R_ZEALOT = ("zigbee_zealot", 22100)
R_HANERD = ("ha_nerd_42", 3012)
R_FRED = ("frugal_fred", 6622)
R_CABIN = ("cozy_cabin_life", 310)
R_LARRY = ("localfirst_larry", 8800)
R_GUS = ("grumpy_gus", 1500)

# =========================================================================================
# 0-150 s: an ordinary evening
# =========================================================================================
phase(0, 150)

x(KAYLA, "praise - pos n", "just set up my first @lumora bulbs in the nursery and the sunrise alarm thing is SO cute 😭☀️ baby slept till 7 for the first time ever (coincidence probably but im taking it)")
x(DANA, "complaint billing neg y", "@lumorahelp I was charged TWICE for Lumora Plus this month. $4.99 on the 3rd and again on the 4th, both say LUM*PLUS on my statement. Can someone fix this please", key="dana1")
x(("t_okonkwo", "Tobi Okonkwo", 1203), "question - neu y", "does the Lumora Hub work with Home Assistant natively or do I need some cloud bridge thing? trying to keep everything local")
rp(("ghostpepper_jim", 5321), "smarthome", "question - neu y", "Lumora vs Hue for a rental apartment?",
   "Moving into a 2br rental, can't change the switches. Looking at Lumora because the starter kit is like half the price of Hue.\n\nAnyone running Lumora long term? Mainly care about:\n- works without internet\n- don't need a hub for every room\n- app isn't garbage\n\nThanks", key="rental")
x(("spicy_wifi", "🌶️ wifi goblin", 77), "other - neu n", "my landlord: no smart home stuff\nme with 14 lumora bulbs in a trench coat:")

MIRA = ("mira-okafor.bsky.social", "Mira Okafor", 840)
TESS_B = ("tess-builds.bsky.social", "Tess", 2300)
bs(MIRA, "question - neu y", "@lumora.bsky.social does the Lumora Hub keep my schedules running if the wifi drops overnight?")
bs(("quietlamp.bsky.social", "Jonas", 95), "praise - pos n", "moved the whole flat over to Lumora bulbs this weekend. the warm dim setting at 10% is exactly what I wanted")
bs(TESS_B, "complaint billing neg y", "@lumora.bsky.social charged for Lumora Plus again after I cancelled in October. ticket 88213, no answer for a week", key="tess1")
x(("cryptolumo_drop", "LUMORA Airdrop 🚀", 12), "spam - neu n", "🚨 $LUMO token AIRDROP is LIVE 🚨 First 500 wallets get 1000 $LUMO free!! Connect at lumora-airdrop[.]xyz 🔥🔥 #Lumora #crypto #airdrop #Web3")
x(BEX, "complaint delivery neg y", "ordered the Lumora reading lamp bulb on the 2nd, tracking has said 'label created' for 9 days now. @lumorahelp is this thing actually coming?", key="bex1")
rp(("grace_under_fire", 860), "LumoraLights", "complaint account neg y", "Locked out after enabling 2FA - backup codes don't work",
   "Enabled 2FA last week and saved the backup codes like a good citizen. New phone today, and every single backup code says 'invalid'. The support form requires... logging in. Anyone been through this?", key="bk")
rc(("been_there_bob", 400), "bk", "other account neu n", "Same thing happened to me. There's a 'can't access your account' link on the web login (not the app) that goes to an actual human. Took 2 days.")
rc(("grace_under_fire", 860), "bk", "other account neu n", "found the link, ticket submitted. fingers crossed")
x(MIKEY, "question - neu y", "how do i reset a lumora bulb?? flicked it on off like 5 times and nothing happens")
rc(R_LAMP, "rental", "other - neu n", "Had Lumora for ~2 years in a rental. Hub is optional for basic stuff (bulbs do BLE straight from the phone) but you want the hub for schedules + remote access. Local control works, HA integration is decent. App is... fine. Not Hue-polished but fine.")
rc(R_SPARKY, "rental", "complaint defect neg y", "Just avoid the strips. Two of mine died within a year, same dead section right after the first cut point. Bulbs have been solid though.")
x(("jordan_lights", "Jordan P", 640), "praise billing pos n", "Lumora Plus is honestly worth it just for the away-mode randomizer. house looks lived in when we travel. 10/10")
x(("sofi.martinez", "Sofía Martínez", 1580), "complaint defect neg y", "@lumorahelp hola, compré una tira LED Lumora y la mitad no enciende desde el primer día. ¿Cómo hago para pedir el cambio? Gracias", lang="es")
x(HAL, "complaint defect neg y", "my lumora hub is running hot enough to fry an egg on. is that normal?? @lumorahelp it's on a bookshelf, not enclosed or anything", key="hal1")
x(("gabe_makes", "Gabe 🛠️", 3140), "praise defect pos n", "Firmware 4.2 on the Lumora strips finally fixed the color drift on warm white. took them long enough but credit where due")
x(("noodle_disaster", "noodle", 98), "sarcasm defect neg y", "great, another firmware update that bricked my lights. love that for me. truly living in the future @lumora")
rp(("sad_strip_steve", 1200), "smarthome", "complaint defect neg y", "Lumora strip half dead after 4 months",
   "First 2 meters work, everything after that is dark. Didn't cut it, didn't bend it hard. The warranty claim wants the original receipt, which I don't have because it was a gift. Great.", key="halfdead")
rc(("solder_sam", 5400), "halfdead", "other defect neu n", "Check the connector between segment 1 and 2, they're notorious for a cold solder joint. Reflow it and it'll probably come back (voids the warranty ofc)")
rc(("sad_strip_steve", 1200), "halfdead", "complaint defect neg y", "Tried it, didn't work. Lumora support still wants the receipt I don't have. Going to go complain louder in r/LumoraLights lol")
x(("aunt_carol_k", "Carol Kingsley", 44), "question account neu y", "Can someone tell me how to change the email address on my Lumora account? My old work email is on it and I no longer have access to it.")
x(LUMORA, "own - pos n", "Golden hour, every hour. 🌅 Meet Lumora Ember — our warmest bulb yet, all the way down to 1800K. Out now.", key="ember")
rt(("lightsbyleo", "Leo", 312), "repost - pos n", "RT @lumora: Golden hour, every hour. 🌅 Meet Lumora Ember — our warmest bulb yet, all the way down to 1800K. Out now.")
xr(("emoji_only_emma", "Emma", 510), "ember", "praise - pos n", "💡💡💡😍🔥✨")
x(("marcus_t_bell", "Marcus Bell", 9870), "complaint billing neg y", "Lumora support is a maze. 40 min on chat, got disconnected twice, still no refund for the hub I returned in MARCH. #customerservice #fail")
x(("visitlumorafalls", "Visit Lumora Falls", 4320), "excluded - pos n", "Fall colors are peaking at Lumora Falls this weekend 🍂 Trail map and parking info at the visitor center. #LumoraFalls #hiking")
x(("cass_iopeia", "Cass", 612), "praise - pos n", "lowkey obsessed w the lumora strip behind my monitor. setup took 4 min. music sync mode goes hard 🎶")
x(("r_deshmukh", "Rohan Deshmukh", 188), "complaint account neg y", "@lumorahelp locked out of my account after a 2FA reset. the code never arrives by SMS, tried 6 times. can't control any lights in the house rn")
rp(("throwaway_lumen", 14), "LumoraLights", "complaint defect neg y", "Hub smells like burning plastic??",
   "Woke up to a weird hot plastic smell in the living room. Traced it to the Lumora Hub - the case is discolored brown near the power jack and it's really hot to the touch. Unplugged it immediately.\n\nIs this a known issue? Honestly kind of scared to plug it back in. Bought it last November.", key="burn")
rc(("sparky_electrician", 7740), "burn", "other defect neg n", "Do NOT plug it back in. Discoloration near the barrel jack = overheating at the connector. Take photos, keep the unit, contact Lumora and your consumer safety agency. Not worth a fire.")
rc(OFFICIAL, "burn", "own defect neu n", "We're really sorry - please don't use that hub. We've sent you a DM to arrange a replacement and collect the unit so our safety team can inspect it. Thank you for flagging this.")
rp(("nodered_nell", 2700), "homeautomation", "other - pos n", "Lumora + Node-RED: motion-triggered hallway lights (flow inside)",
   "Sharing my flow: PIR sensor -> MQTT -> Node-RED -> Lumora local API. About 60 ms from motion to light, no cloud involved. Flow JSON is on my GitHub, happy to answer questions.", key="nodered")
rc(("mqtt_mike", 300), "nodered", "other - neu n", "Nice. Do you poll the hub for state or does it push changes?")
x(("thebigpod", "The Big Pod 🎙️", 15600), "news - neu n", "ep 212 is up: smart lighting, why everyone's suddenly buying Lumora, and whether a light bulb needs a subscription (spoiler: Jake has opinions) 🎧 link in bio")
x(("jules_b", "Jules", 340), "complaint delivery neg y", "y'all my lumora order said 'delivered' and it is NOT here. checked with neighbors, front office, nothing. @lumorahelp")
x(("ana.lima", "Ana Lima", 905), "question - neu y", "Alguém sabe se as lâmpadas Lumora funcionam com a Alexa no Brasil? Quero comprar mas fiquei na dúvida 🤔", lang="pt")
x(("f4f_daily_boost", "Follow Train 🚂", 3), "spam - neu n", "FOLLOW 4 FOLLOW 🔁 retweet this + follow everyone who likes it, gain 500+ today!! #Lumora #smarthome #f4f #followback")
x(("quietcoder", "Elif", 1450), "other - pos n", "PSA for anyone with Lumora bulbs: set 'power-loss recovery' to 'last state' in the app so they don't blast full white at 3am after a power blip. you're welcome")
x(("brendan_oc", "Brendan O'Connell", 73), "complaint account neg y", "@lumorahelp the app keeps logging me out every time I open it. Android 14, Pixel 7. reinstalled twice. super annoying")
rp(R_ZEALOT, "homeautomation", "news - pos n", "Lumora Hub firmware 3.8 exposes a local API - quick writeup",
   "Noticed the 3.8 release notes mention a 'LAN developer mode'. Poked at it over the weekend: REST on port 8443, token generated in the app, you can get/set state for every bulb with ~40ms latency. No cloud round trip.\n\nDocs are thin but it works. Curl examples in the comments.", key="lanapi")
rp(("firsttimebuyer22", 30), "LumoraLights", "complaint delivery neg y", "Order says delivered but the box was empty??",
   "Lumora box arrived sealed, taped, label and everything... and there's nothing inside but air pillows. Order #LUM-451877. Has this happened to anyone? How do I even prove this?", key="empty")
rc(("porch_detective", 2100), "empty", "other delivery neu n", "Take photos of the box, the tape and the label right now. Weigh it if you can - carriers log the weight at pickup.")
rc(("firsttimebuyer22", 30), "empty", "complaint delivery neg y", "Did all that. Weight on the label is 1.2 kg, the empty box is 300 g. Emailed Lumora with photos, no answer yet.")
x(("petra_h", "Petra", 529), "complaint defect neg y", "Meine Lumora Lampen flackern seit dem letzten Update ständig, besonders wenn sie gedimmt sind. Ziemlich nervig abends. @lumorahelp habt ihr eine Lösung?", lang="de")
x(CWU, "praise - pos n", "Designed a whole living room around the Lumora Ember bulb and the warm dim is gorgeous. Client cried (good tears). #interiordesign")
x(BRANDON, "complaint defect neg y", "my lumora light strip just died. like fully dead. 3 months old. no lights, controller blinks red. @lumorahelp", key="mb1")
x(("tanyaspeaks", "Tanya", 88), "question account neu y", "Why does the Lumora app need my location to turn on a light bulb")
x(DAN, "sarcasm defect neg n", "nothing says 'smart home' like standing in the dark yelling at a light bulb that is 'updating' #lumora")
x(("hikari_no_heya", "ひかり", 760), "praise - pos n", "Lumoraの電球、アプリで色を変えるのが楽しすぎる✨ 寝室がカフェみたいになった☕", lang="ja")
rc(R_ZEALOT, "lanapi", "other - neu n", "curl -k -H 'Authorization: Bearer <token>' https://hub.local:8443/v1/lights  -> JSON list of bulbs.\nPUT /v1/lights/{id} with {\"on\": true, \"bri\": 40}. That's basically it.")
rc(R_HANERD, "lanapi", "question - neu y", "This is huge. Does dev mode survive a hub reboot or do you have to re-enable it every time?")
rp(("budget_bulbs", 600), "smarthome", "question - neu y", "Lumora bulbs on sale for $9 at the Lumora store - worth it?",
   "Store has the A19 color bulbs at $9 each this week. Are these the old gen or the new ones? Any reason not to grab 6?", key="sale")
rc(R_LAMP, "sale", "praise - pos n", "That's the current gen. Grab them, that's a really good price.")
x(("oliviapope_fan", "Liv", 19), "other - pos n", "@lumora ur bulbs are the only thing in my life that respond when i call them 💡💔")
x(NATE, "complaint delivery neg y", "Ordered the Lumora starter kit for my dad's bday, box showed up crushed and 2 of 3 bulbs rattling. glass everywhere. great. @lumorahelp", key="nate")
xr(HELP, "nate", "own delivery neu n", "Nate, that's not the birthday surprise anyone wants - so sorry. Please DM us your order number and a photo of the box and we'll ship a replacement kit today.")
xr(NATE, "nate", "other delivery pos n", "DM sent. appreciate the quick reply ngl")
x(GINA, "question billing neu y", "Question for @lumorahelp - if I cancel Lumora Plus do my schedules and scenes stay or do I lose everything?")
x(("ronan.builds", "Ronan", 930), "praise - pos n", "honestly the lumora app has gotten really good. the new room grouping is so much faster than before")
x(("xX_shadowgamer_Xx", "shadow", 45), "praise - pos n", "lumora strip + monitor sync = fps go up (trust me) 🎮🌈")
rp(("mama_bear_techie", 450), "smarthome", "complaint billing neg y", "Lumora Plus auto-renewed for a full YEAR without warning",
   "Signed up for the monthly trial back in January, forgot about it, and today I got charged $49.99 for an ANNUAL plan. I never picked annual. Support says 'renewal terms were shown at signup'.\n\nAnyone actually gotten a refund from them? Feels scummy.", key="annual")
rc(R_FRED, "annual", "other billing neg n", "Dispute it with your card company. Worked for me with a different company's sneaky annual upgrade.")
rc(OFFICIAL, "annual", "own billing neu n", "Hi - that shouldn't happen, trials roll over to monthly, not annual. Could you DM us the email on your account? We'll look into it and refund you if the plan was switched by mistake.")
rc(("kettle_corn_kev", 98), "annual", "complaint billing neg y", "same thing happened to me last month. got the refund after like 3 emails but it took 2 weeks")
x(HELENA, "complaint defect neg y", "The Lumora bulbs in the hallway randomly turn on at 2am. No schedule, no automation, nothing. Haunted? Or a bug? @lumorahelp")
rp(("scene_queen", 1900), "LumoraLights", "praise - pos n", "Show-off: my Lumora 'thunderstorm' scene",
   "Took way too long but I made a scene that flickers the living room strip like distant lightning while the bulbs stay a dim blue. Rainy day vibes on demand ⛈️ Happy to share the settings.", key="storm")
rc(R_CABIN, "storm", "other - pos n", "This is awesome, share pls!")
x(HELP, "own outage neu n", "Heads up: scheduled maintenance on Lumora cloud services tonight 01:00–02:00 UTC. Local control and Hub schedules keep working. Thanks for your patience 💡")
x(("foodie_fiona", "Fiona Eats", 8700), "excluded - pos n", "the brunch at Lumora Bistro is unreal. get the ricotta pancakes. trust me. 🥞")
x(("amir.h", "Amir", 220), "question account neu y", "Is there any way to use Lumora bulbs without making an account? I just want to turn them on with my phone, not hand my email to another company")
x(("bigtruckbarry", "Barry", 14), "complaint defect neg y", "lumora bulbs r junk dont buy")
x(("sam_seattle", "Sam", 1040), "question - neu y", "What's the max length for a Lumora strip before you need a second power supply? want to run about 10m around the ceiling")
x(("the_plant_mom", "Ro 🌿", 2750), "praise - pos n", "my plants under the lumora grow bulb: 🌱➡️🌿➡️🌳\nok maybe not that fast but they are THRIVING")

# =========================================================================================
# 150-162 s: a celebrity posts about Lumora (burst)
# =========================================================================================
phase(150, 162)

TESSA_TEXT = "studio glow-up ✨ the whole set is lit with @lumora strips now and honestly I'm never going back. no more ugly ring light shadows 🎬💜"
x(TESSA, "praise - pos n", TESSA_TEXT, key="tessa")
rt(("tessa_daily_updates", "Tessa Ray Updates", 18200), "repost - pos n", "RT @tessaray: " + TESSA_TEXT)
xr(("megsss_x", "meg 🦋", 301), "tessa", "other - pos n", "omg what color is this?? need it for my room")
xr(LUMORA, "tessa", "own - pos n", "this set >>> 💜 thank you Tessa!")
rt(("jaybird_22", "jay", 120), "repost - pos n", "RT @tessaray: " + TESSA_TEXT)
xr(ANDY, "tessa", "complaint outage neg y", "cool, now can @lumora fix my hub that's been offline for 3 days? or is support only for celebs 🙃", key="andy")
xr(("giftcard_bonanza", "🎁 FREE GIFTS 🎁", 0), "tessa", "spam - neu n", "Tessa fans!! 🎉 claim your FREE Lumora strip kit here ➡️ bit.ly/lum0ra-free just pay shipping!! limited!!")
x(("shopwithkel", "Kelly", 4400), "question - neu y", "the Tessa Ray effect is real, the Lumora 5m strip just sold out on the store 😭 anyone know restock dates? @lumora")
rt(("lightingnerd", "Lighting Nerd", 2100), "repost - pos n", "RT @tessaray: " + TESSA_TEXT)
xr(("hannah_b_xo", "hannah", 55), "tessa", "praise - pos n", "the purple is SO pretty 😍😍")
x(("r_j_dubs", "RJ", 789), "praise - pos n", "Bought the Lumora strip because Tessa did. I'm not proud of it. It looks amazing though")
x(("nft_legends_drop", "Legends NFT", 44), "spam - neu n", "Tessa x @lumora collab NFT dropping NOW 🔥 mint at legends-nft.io before gas goes up 🚀🚀 #NFT #Lumora")
x(JESS, "sarcasm outage neg n", "every time a celeb posts about @lumora the app goes down for an hour lol. watch")
xr(("dexter.m", "Dexter", 2300), "tessa", "other - neg n", "they gave you these for free tho right? #ad?")
x(("emilyyy_m", "Emily", 230), "question - neu y", "what length strip did tessa use?? @lumora pls tell us")
x(("julien_dupont", "Julien Dupont", 1320), "question delivery neu y", "Les rubans Lumora de Tessa Ray sont vraiment beaux. Quelqu'un sait s'ils sont livrés en France ? @lumora", lang="fr")
x(("bookish_bea", "Bea 📖", 4100), "praise - pos n", "ok the Lumora strip on Tessa's set made me finally light my bookshelves and I'm emotional about it 📚✨")

# =========================================================================================
# 162-300 s: normal traffic, a delivery cluster, some hostile inputs
# =========================================================================================
phase(162, 300)

xr(DANA, "dana1", "complaint billing neg y", "@lumorahelp following up on this, 3 days and no answer. still charged twice. hello??", key="dana2")
x(("winstonwongg", "Winston", 540), "praise - pos n", "the Lumora Hub is lowkey the best $59 I've spent this year. everything just works, even when my internet dies")

bsr(TESS_B, "tess1", "complaint billing neg y", "@lumora.bsky.social any update? the charge is still on my card today")
bs(("nordlicht.bsky.social", "Anke", 410), "complaint defect neg y", "@lumora.bsky.social meine Lumora Lampe flackert seit dem letzten Update ständig. Gibt es einen Fix?", lang="de")
bs(("camille-r.bsky.social", "Camille", 1250), "question delivery neu y", "@lumora.bsky.social ma commande Lumora n'est toujours pas arrivée, vous pouvez vérifier ?", lang="fr")
bs(("trailmix.bsky.social", "Priya K", 300), "excluded - pos n", "sunrise hike to Lumora Falls this morning, worth the 5am alarm")
x(("marisol_r", "Marisol", 980), "complaint delivery neg y", "Mi pedido de Lumora lleva dos semanas 'en tránsito' y nadie me responde. Muy decepcionada 😤 @lumorahelp", lang="es")
x(KYLE, "complaint delivery neg y", "@lumorahelp where is my order #LUM-448120? said 3-5 business days, it's day 11", key="kyle1")
x(("lisa.m.park", "Lisa Park", 2700), "praise defect pos n", "Shout out to @lumorahelp: my strip arrived with one dead section and they sent a new one in 2 days, no questions asked. That's how you keep customers 👏")
rp(("bulb_whisperer", 3400), "LumoraLights", "complaint defect neg y", "Ember bulbs flicker below 10% brightness - fix?",
   "Just got 6 of the new Ember bulbs. They look great above ~15% but below 10% they flicker like a horror movie. Regular (non-dimmer) switch, firmware up to date.\n\nAnyone found a fix, or is this a hardware limitation?", key="flicker")
rc(R_MOD, "flicker", "other defect neu n", "Known issue with the first Ember batch on firmware 4.2.0. 4.2.1 is rolling out in stages and fixes low-end dimming. You can force it: Settings > Hub > Check for updates.")
rc(("bulb_whisperer", 3400), "flicker", "praise defect pos n", "Forced the update, flicker is gone at 5%. Still a tiny shimmer at 1% but I can live with that. Thanks!")
rc(("nightowl_nina", 640), "flicker", "complaint defect neg y", "Mine do this at 20% too, even after 4.2.1. Filing a ticket.")
x(HANK, "news defect neu n", "New video: I tore down the Lumora Hub to see why it runs so warm. TL;DR the voltage regulator is crammed next to the Wi-Fi module with zero heatsinking. Not dangerous on its own, but don't stick it in a closed cabinet. 🔧📹", key="hank")
rt(("diy_danielle", "Danielle", 870), "repost defect neu n", "RT @hank_homelab: New video: I tore down the Lumora Hub to see why it runs so warm. TL;DR the voltage regulator is crammed next to the Wi-Fi module with zero heatsinking.")
xr(HAL, "hank", "question defect neu y", "@hank_homelab this explains a lot, mine's on a shelf and it's HOT. @lumorahelp any official guidance on where to put the hub??")
x(("bestdeals4u_", "Best Deals 4 U", 120), "spam - neu n", "🔥🔥 LUMORA BULBS 90% OFF 🔥🔥 clearance sale TODAY ONLY!!! lumora-outlet-store.shop 💡💡 #Lumora #deal #sale")
rp(("billing_blues", 80), "LumoraLights", "complaint billing neg y", "Lumora store charged me twice for one order",
   "Ordered a hub + 2 bulbs ($87.97). Two identical pending charges on my card, both have now posted. Order history only shows one order. Chat said 'it'll drop off' - that was 8 days ago.", key="twice")
rc(R_FRED, "twice", "other billing neu n", "Pending holds drop off, posted charges don't. Call your bank and dispute the second one.")
rc(("me_too_maggie", 220), "twice", "complaint billing neg y", "Same here!! $42.98 charged twice. glad it's not just me but also wtf Lumora")
x(("carlos.dev", "Carlos", 1930), "question - neu y", "Anyone know if the Lumora API has webhooks? Want my office lights to go red when CI fails 😅")
x(("h4x0r_l0l", "totally normal user", 3), "spam - neu n", "Lumora <script>alert(1)</script> giveaway!!! click <a href=\"javascript:alert(document.cookie)\">here</a> to claim")
x(("grandpa_joe_1947", "Joe Mancini", 12), "question - neu y", "HOW DO I MAKE THE LIGHT WHITE AGAIN. MY GRANDSON SET IT TO PURPLE. LUMORA")
x(("steph_curryfan30", "Steph", 660), "complaint delivery neg y", "Lumora delivery guy left my package in the rain. box soaked through, hub inside seems ok but wtf")
xr(HELP, "dana2", "own billing neu n", "Hi Dana, sorry for the wait. We can see the duplicate Lumora Plus charge - please DM us the email on your account and we'll start the refund today.")
x(("prof_aldana", "Dr. M. Aldana", 5400), "other - pos n", "Tried Lumora's circadian mode in a small sleep-lab pilot. Anecdotally people liked the evening warm shift. Not a study, just an observation - curious if anyone has done proper research.")
x(TREVOR, "complaint account neg y", "@lumorahelp got an email saying my password was changed. I DIDNT change it. now I can't log in. I think my account got hacked??", key="trev")
xr(TREVOR, "trev", "complaint account neg y", "also someone renamed all my rooms to 'lol'. this is definitely hacked. pls respond")
xr(HELP, "trev", "own account neu n", "Trevor, we've locked your account to stop any further changes. Please check your DMs - we'll verify it's you there and get you back in. Never share codes or passwords in public replies.")
rp(("ev_gearhead", 1540), "homeautomation", "question billing neu y", "Is Lumora Plus worth it?",
   "$4.99/mo for cloud history, away mode and 'advanced scenes'. Everything else works free. Anyone actually find Plus worth paying for?", key="plusworth")
rc(("pennywise_saver", 2200), "plusworth", "other billing neg n", "Nope. Home Assistant does everything Plus does for free if you're willing to tinker.")
rc(R_CABIN, "plusworth", "praise billing pos n", "I pay for it because my wife uses the app, not HA. Away mode alone saved us a headache when we were gone for a month.")
rc(("ev_gearhead", 1540), "plusworth", "other - neu n", "Good points both. Guess it depends if you want to run HA. thx")
rp(("paranoid_pat", 3300), "homeautomation", "complaint account neg y", "Lumora account hacked - credential stuffing?",
   "Got a 'new login from Romania' email from Lumora at 4am. I reuse... ok, I reused a password. Changed it and turned on 2FA. But why doesn't Lumora force 2FA, or at least check for breached passwords?", key="stuff")
rc(("infosec_irene", 15000), "stuff", "other account neu n", "Every IoT vendor should check against breached-password lists at signup. Tell them. Also: password manager, today.")
rc(("paranoid_pat", 3300), "stuff", "other account neu n", "Yep, lesson learned. Filed a feature request with Lumora too.")
x(("melissa_n", "Melissa N", 1890), "complaint - neg y", "Lumora, I love you, but why is the 'turn off all' button hidden three menus deep 😩")
rp(OFFICIAL, "LumoraLights", "own - neu n", "Firmware 4.2.1 is rolling out",
   "Hi all - 4.2.1 fixes low-brightness flicker on Ember bulbs, improves Hub Wi-Fi reconnect after router restarts, and adds a 'turn off all' shortcut to the home screen (we heard you). Rolling out over 72 hours. Questions below 👇", key="fw421")
rc(("Sir_Flickers_A_Lot", 77), "fw421", "question defect neu y", "Does this fix the strips that go pink when they should be warm white?")
rc(("sleepy_sloth_23", 1200), "fw421", "praise - pos n", "Finally. Thank you for the turn-off-all button.")
x(("kofi_a", "Kofi A.", 67), "complaint defect neg y", "Bought Lumora bulbs for the whole house. Two of them are already buzzing loudly. Is that a sign they're about to fail?? @lumorahelp")
x(("alex_tries_stuff", "Alex", 3200), "other - neu n", "3 weeks with the Lumora Hub: schedules rock solid, geofencing flaky (lights came on when I was 2 blocks away... and once when I was at work?). overall 7/10")
x(("noor_alrashid", "نور", 1140), "complaint delivery neg y", "طلبت مصابيح Lumora قبل أسبوعين وما وصلت لحد الآن. وين الطلب؟ @lumorahelp", lang="ar")
x(("yuki_t", "Yuki Tanaka", 520), "complaint outage neg y", "Lumoraのハブが毎晩オフラインになります。ルーターは問題ないのに…どうすればいいですか？@lumorahelp", lang="ja")
x(("make_money_mary", "Mary 💰", 2), "spam - neu n", "I made $4,200 this week from home!! DM me 'LIGHT' to learn how 💸 #Lumora #smarthome #workfromhome")
rp(("hub_hater", 50), "LumoraLights", "complaint outage neg y", "Hub drops off WiFi every night at 3am",
   "Every night around 3am the Hub goes offline for ~20 min. Router logs show it disconnecting. Every other device is fine. 2.4 GHz only, channel 6. Ideas?", key="3am")
rc(("netgear_nick", 4100), "3am", "other outage neu n", "Probably your router's scheduled channel scan / auto-optimization. Lock the channel and turn that off.")
rc(("hub_hater", 50), "3am", "complaint outage neg y", "Locked the channel, still happened last night. Opened a ticket with Lumora.")
x(("jake_bigpod", "Jake | The Big Pod", 9200), "sarcasm billing neg n", "I'm sorry but a light bulb with a subscription is a sign of societal collapse. Lumora Plus is $60 a year for LIGHTS. (yes I have it)")
x(("ilovemycat_cleo", "Cleo's mom", 140), "other - pos n", "my cat figured out the lumora motion sensor turns on the kitchen light and now she does it at 4am every night 😭🐈")
x(("amanda_ordering", "Amanda", 44), "question delivery neu y", "Hi @lumorahelp, I placed an order yesterday and accidentally used my old address. Can I still change it before it ships?")
x(("bobby_tables_jr", "Robert'); DROP TABLE mentions;--", 12), "complaint delivery neg y", "@lumorahelp my order never arrived'); DROP TABLE mentions;-- any update? order 5521' OR '1'='1")
x(("steve_lists", "Steve", 230), "complaint outage neg y", "@lumorahelp issues with my Lumora setup:\r\n\t1. hub offline every night\r\n\t2. app login loop\r\n\t3. strip colour wrong\r\n\r\nplease advise\t\t- Steve")
x(("crashy_cat", "Cat", 310), "complaint defect neg y", "@lumorahelp app crashes every time I open Scenes <img src=x onerror=alert(1)> (screenshot attached)")
rp(("melted_mike", 900), "smarthome", "complaint defect neg y", "Lumora bulb base melted in an enclosed fixture - warning",
   "Had a Lumora A19 in an enclosed glass ceiling fixture. The bulb died, and when I took it out the plastic near the base was deformed and brown. The box says 'not for enclosed fixtures' in tiny print, but still. Be careful, people.", key="melt")
rc(("sparky_electrician", 7740), "melt", "other defect neu n", "Common with LED bulbs in enclosed fixtures, the driver cooks itself. Use bulbs rated for enclosed fixtures. Still worth reporting to Lumora.")
x(("html_hannah", "Hannah", 210), "praise - pos n", "<b>LOVE</b> my new Lumora bulbs &amp; the hub </div><p>10/10 would buy again</p>")
x(("ellie_writes", "Ellie", 1020), "complaint account neg y", "@lumorahelp the Lumora app signed me out and now says my email 'isn't registered'. I've had this account for 2 years?? all my rooms are on it")
x(("jdub_98", "J Dub", 75), "complaint defect neg y", "lumora bulb in the bathroom just goes dim and bright and dim and bright on its own like it's breathing. creepy af")
x(("mo_salah_fan11", "Mo", 410), "complaint billing neg y", "Lumora charged me for Plus on my old card AND my new card this month. two subscriptions, one account. @lumorahelp")
x(("parcel_paul", "Paul", 260), "complaint delivery neg y", "3rd time rescheduling the Lumora delivery because the courier 'couldn't access the building'. I was home. all day. @lumorahelp")
x(("warranty_will", "Will", 510), "question defect neu y", "@lumorahelp how long is the warranty on the Lumora Hub? mine is 14 months old and getting flaky")
x(("lena.grey", "Lena", 1900), "praise delivery pos n", "Lumora delivery was actually super fast - ordered Tuesday night, here Thursday morning 📦")
x(("tracking_tina", "Tina", 90), "complaint delivery neg y", "Lumora tracking number doesn't work on the carrier site. 'No information found'. Ordered 5 days ago.")
x(("wrong_item_wendy", "Wendy", 220), "complaint delivery neg y", "ordered 2x Lumora E26 bulbs, received 2x GU10. can't use them. @lumorahelp how do I exchange?")
x(("matter_maria", "Maria", 1300), "question - neu y", "Is the Lumora Hub Matter certified? or planning to be?")
rp(("kb_reader", 150), "LumoraLights", "question account neu y", "How do I move bulbs from one Lumora account to another?",
   "Selling my house and leaving the bulbs. How do I remove them from my account so the buyer can set them up? Factory reset each one?", key="move")
rc(R_MOD, "move", "other account neu n", "Settings > Devices > Remove from account, then the buyer does a normal setup. No factory reset needed if you remove them first.")
x(("nana_knits", "Nana 🧶", 130), "praise - pos n", "My granddaughter put these Lumora lights in for me and I can turn them on by talking to the little speaker. What a world!")
x(("colorblind_carl", "Carl", 400), "complaint defect neg y", "Lumora 'warm white' on the strip is pink. not slightly pink. PINK. @lumorahelp")
x(("greg_m", "Greg Mills", 610), "complaint billing neg y", "@lumorahelp I cancelled Lumora Plus in September and you charged me in October AND November. I have the cancellation email. Fix it.")
x(("googlehome_greg", "Greg", 200), "question - neu y", "Can Lumora bulbs work with Google Home without the hub?")
x(("sarcastic_sarah", "Sarah", 2300), "sarcasm - neg n", "Oh good, the Lumora app needs an update before I can turn on the bathroom light. Can't wait to do this at 3am. 🙃")
x(("job_alerts_sf", "SF Tech Jobs", 8000), "other - neu n", "Lumora is hiring: Senior Firmware Engineer (Embedded C, BLE, Zigbee). Hybrid, SF. #hiring #embedded")
rp(("deal_hunter_dee", 700), "smarthome", "complaint delivery neg y", "Lumora Black Friday order still not shipped",
   "Ordered on Black Friday, confirmation said ships in 2-3 days. It's been 12 days, status still 'processing', two emails unanswered. Anyone else?", key="bf")
rc(("waiting_walter", 100), "bf", "complaint delivery neg y", "Same boat. Ordered Saturday, still 'processing'. Not a word from them.")
rc(("deal_hunter_dee", 700), "bf", "other delivery neu n", "Update: shipped today, no explanation. Whatever, at least it's moving.")
x(("porch_pirate_victim", "Matt", 300), "complaint delivery neg y", "second lumora package stolen from my porch this month. can you guys require a signature?? @lumorahelp")
x(("shift_worker_sean", "Sean", 340), "praise - pos n", "the lumora circadian mode has honestly helped me sleep after night shifts. blue-free evening light is no joke")
x(("seo_services_pro", "SEO Pro", 9), "spam - neu n", "Hey @lumora your website ranking can be improved!! We offer cheap SEO packages, DM for price list 📈📈")
x(("sunita_r", "Sunita", 1330), "complaint billing neg y", "Got charged $129.99 for a Lumora order that was cancelled before it shipped. Refund 'processing' for 12 days. @lumorahelp")
x(("outdoor_olga", "Olga", 330), "question - neu y", "are Lumora strips ok outdoors? under a covered patio, not in direct rain")
x(("renter_rae", "Rae", 90), "question - neu y", "if I move apartments do I need to set up every Lumora bulb again or can I just move the hub?")
x(("box_of_rocks", "Kev", 40), "complaint delivery neg y", "the Lumora box arrived with a hole in it and the hub is MISSING. just the power brick and the manual inside 🤡")

# =========================================================================================
# 300-360 s: cloud outage spike
# =========================================================================================
phase(300, 360)

x(PRIYA, "complaint outage neg y", "@lumorahelp is the Lumora app down? all my lights show 'unreachable' and the hub light is orange", key="priya")
x(MIKEY, "complaint outage neg y", "lumora app just spinning. anyone else??")
x(JESS, "sarcasm outage neg n", "called it. @lumora down. 🙃")
x(STACY, "complaint outage neg y", "@lumorahelp app says 'service unavailable' and my kid's nightlight is stuck on full blast white. how do I turn it off")
x(("devops_dani", "Dani", 5200), "complaint outage neg y", "Lumora cloud returning 503s on every endpoint. status page still says 'all systems operational' lol")
x(("outage_radar", "Outage Radar", 31000), "news outage neg n", "User reports indicate problems at Lumora since 10:02 PM EST. Most reported: app (71%), server connection (22%), login (7%). #LumoraDown")
x(GINA, "complaint outage neg y", "welp. lumora down. guess I'll live in the dark")
rp(("ohno_not_again", 302), "LumoraLights", "complaint outage neg y", "Is Lumora down for everyone?",
   "App won't load, hub is orange, Alexa says the device isn't responding. Started about 10 minutes ago. Anyone else?", key="down")
rc(("blue_lantern_", 1400), "down", "complaint outage neg y", "Same here, US east. Hub orange, app stuck on the splash screen.")
rc(("kiwi_lights_nz", 880), "down", "complaint outage neg y", "NZ too. So it's global.")
x(BEX, "complaint outage neg y", "first my order doesn't arrive and now the lumora bulbs I DO have won't turn on. @lumorahelp rough week")
x(HELP, "own outage neu n", "We're aware the Lumora app and cloud services are down for many customers. Our team is on it right now. Lights on Hub schedules keep running. Updates here. 🙏", key="ack")
rc(R_MOD, "down", "news outage neu n", "Confirmed with Lumora staff: cloud outage, they're on it. Local control through the Hub's LAN mode still works if you had it enabled.")
rc(("ohno_not_again", 302), "down", "question outage neg y", "how am I supposed to enable LAN mode if the app won't even open 🙃")
rt(("lumen_lover_99", "Lumen", 215), "repost outage neu n", "RT @lumorahelp: We're aware the Lumora app and cloud services are down for many customers. Our team is on it right now.")
x(HELENA, "complaint outage neg y", "@lumorahelp my bedroom lights are stuck ON and I can't sleep. Is there any way to turn them off without the app??")
x(("baz_builds", "Baz", 1020), "complaint outage neg y", "bruh i flipped the wall switch and the lumora bulb came back on at 100% because of power-loss recovery. i am trapped in daylight")
x(("lauren_e", "Lauren Eberhardt", 2300), "complaint outage neg y", "Lumora is down and my entire house is dark because I thought 'smart' lights were a good idea. Buying regular bulbs tomorrow.")
x(RYAN, "sarcasm outage neg y", "love that my light bulbs now have scheduled downtime like a bank website. thanks @lumora, truly innovative")
x(("karim.b", "Karim Benali", 670), "complaint outage neg y", "Panne générale chez Lumora ? L'appli ne répond plus et le hub clignote en orange. @lumorahelp", lang="fr")
x(("leonie_k", "Leonie", 330), "complaint outage neg y", "Lumora App geht nicht mehr, alle Lampen 'nicht erreichbar'. Super, gerade jetzt wo Besuch da ist 🙄", lang="de")
x(("pedro.santos", "Pedro Santos", 1200), "complaint outage neg y", "Lumora fora do ar aí também? Minhas luzes não respondem de jeito nenhum", lang="pt")
x(RAFAEL, "news outage neg n", "Lumora's cloud has been down for ~20 min and smart-bulb owners are discovering what 'cloud-dependent' means. Asked the company for comment. 🧵", key="raf")
x(("crypto_king_lumo", "KING 👑", 5), "spam - neu n", "Lumora down? 📉 while you wait, 10x your bag with $LUMO 🚀🚀 t.me/lumo_pump")
xr(RAFAEL, "raf", "news outage neu n", "Lumora tells me: 'A configuration change to our authentication service caused a cascading failure. We are rolling it back.' Devices on local schedules unaffected.")
xr(ANDY, "raf", "complaint outage neg y", "@ribarra_tech mine's been 'offline' for 3 days so welcome to my world. @lumorahelp still waiting")
x(("ceo_of_naps", "Morgan", 950), "other outage neu n", "lumora down = the universe telling me to go to bed")
x(("oma_helga", "Helga S.", 6), "complaint outage neg y", "Mein Enkel hat mir diese Lumora Lampen eingebaut und jetzt gehen sie nicht mehr an. Was mache ich jetzt?", lang="de")
x(("tom_ngo", "Tom Ngo", 4100), "question outage neu y", "Has anyone got Lumora bulbs working again? Power cycled the hub twice, no luck")
x(KAYLA, "complaint outage neg y", "the sunrise alarm didnt go off bc @lumora is down and now the baby is up and so am i 😭😭")
x(("fitzgerald_ops", "Fitz", 2900), "other outage neu n", "tip for the Lumora outage: take the bulb out and put it back in. it defaults to warm white. not ideal but you have light")
x(CWU, "complaint outage neg y", "Client walkthrough in 10 min and @lumora is down. Every scene I built is unreachable. Please tell me this is fixed soon.")
x(DAN, "sarcasm outage neg y", "my lights are down but at least my subscription is still up 👍 @lumora")
x(("support_lumora_help", "Lumora Support Team", 0), "spam account neu n", "@priya.codes sorry for the outage! DM us your login email and password so we can restore your account quickly 🙏")
x(("vic_tor_ia", "Victoria", 77), "question account neu y", "@lumorahelp Lumora app login says 'invalid credentials' but I know my password is right. is this the outage or was I hacked??")
x(("sleeplessinsd", "J.", 18), "complaint outage neg y", "lumora down lumora down lumora down")
x(("rant_queen", "Tasha", 380), "complaint billing neg y", "I PAY for Lumora Plus and it's down?? what am I paying for exactly. @lumorahelp refund this month")
rt(("techdigestdaily", "Tech Digest", 22000), "repost outage neg n", "RT @ribarra_tech: Lumora's cloud has been down for ~20 min and smart-bulb owners are discovering what 'cloud-dependent' means.")
x(("g33k_grrl", "Mira", 760), "sarcasm outage neg n", "Hub: orange. App: nothing. Lumora status page: all green ✅. pick one")
x(("nursejackie_rn", "Jackie", 420), "complaint outage neg y", "Just got off a 12hr shift and can't turn on my lights. Lumora pls.")
rp(R_LARRY, "smarthome", "complaint outage neg y", "Lumora outage is exactly why I only buy local-control gear",
   "Not to gloat, but this is the third cloud outage from a lighting brand this year. If your light switch needs a server in Virginia, it's not a light switch.\n\nLumora's hub CAN run local, it just isn't the default. Make it the default.", key="local")
rc(R_GUS, "local", "other outage neu n", "Preach. Flashed mine with open firmware last year and never looked back.")
rc(("sunny_side_sal", 60), "local", "other outage pos n", "Mine came back on just now! Anyone else?")
rp(("ha_admin_amy", 6100), "homeautomation", "other outage pos n", "PSA: Lumora cloud is down - HA local integration still works",
   "If you use the Lumora integration in local mode, you're fine. Cloud mode users: everything will show 'unavailable' until they fix it.", key="psa")
rc(("cloud_only_carl", 40), "psa", "question outage neg y", "cloud mode user here. cool cool cool. how do I switch to local while it's down?")
rc(("ha_admin_amy", 6100), "psa", "other outage neg n", "You can't until the cloud is back, setup needs a token from the cloud. Sorry :(")
rc(("uk_glow", 300), "down", "complaint outage neg y", "UK as well. All my lights are stuck on whatever they were doing when it went down.")
rc(("spamtastic_deals", 1), "down", "spam - neu n", "While Lumora is down, check out OUR lights!! 50% off at brightdealz.biz 💡💡")
rc(("night_shift_nat", 900), "down", "question billing neu y", "is Lumora going to compensate Plus users for this? asking seriously")
rc(("ok_boomer_bulbs", 70), "local", "other outage neg n", "or you could just use a light switch like a normal person")
rp(("panicked_parent", 20), "LumoraLights", "question outage neu y", "Nursery bulb stuck on red during the outage - how to reset without the app?",
   "The nursery bulb is stuck on the red 'sleep' scene at 100%. Baby won't settle. Is there any way to reset it without the app?", key="nursery")
rc(("fitz_lights", 1200), "nursery", "other outage neu n", "Flip the switch off/on 5 times fast and it'll factory reset to warm white. You'll have to pair it again later.")
rc(("panicked_parent", 20), "nursery", "other outage pos n", "That worked. thank you so much")
x(("markus_w", "Markus", 300), "question outage neu y", "Weiß jemand, ob es bei Lumora gerade eine Störung gibt? Meine Lampen sind alle offline.", lang="de")
x(("lulu_lovelace", "Lulu 🌙", 12000), "other outage neu n", "lumora being down is the most relatable thing. same bestie, same")
x(("d_ramirez", "Diego Ramírez", 210), "question outage neu y", "@lumorahelp ¿hay una caída del servicio? no puedo encender ninguna luz desde la app", lang="es")
x(("o.faruk", "Faruk", 88), "complaint outage neg y", "come ON @lumorahelp. hub offline, app offline, support chat offline. is anyone there")
x(("bennyhill_", "Ben", 130), "complaint outage neg y", "Lumora down. Birthday party lights stuck on 'disco'. Send help. 🪩")
x(("tinkerer_tess", "Tess", 1900), "other outage pos n", "Lumora cloud is dead but my HA integration via the local API still works fine. if you can, enable LAN dev mode ASAP")
x(("hassan.m", "حسن", 540), "complaint outage neg y", "تطبيق Lumora متوقف والإضاءة ما تشتغل. متى ترجع الخدمة؟", lang="ar")
x(("m_ito", "伊藤", 830), "question outage neu y", "Lumoraのアプリが全く繋がらない。障害ですか？", lang="ja")
x(("zoe_q", "Zoë", 210), "complaint outage neg y", "stop tweeting about tessa ray and fix your servers @lumora")
x(("ahmad_design", "Ahmad", 1400), "complaint outage neg y", "@lumorahelp \u202eenilffo buh\u202c مركز Lumora غير متصل منذ ساعة ولا شيء يعمل", lang="ar")
x(("wifi_warrior", "Wifi Warrior", 3400), "question outage neu y", "@lumora will there be a public post-mortem for tonight's outage?")
x(("deb_from_accounting", "Deb", 75), "other outage neu n", "the lumora outage made me realize I have no idea where the actual light switches are in my house")
x(("verde_vale", "Valentina", 900), "complaint outage neg y", "Se cayó Lumora justo cuando tenía invitados 🙃 qué vergüenza, la casa a oscuras", lang="es")
x(("lonely_bot_xx", "hot 🔥", 0), "spam - neu n", "lonely while your Lumora lights are off? 😘 link in bio")
x(LUMORA, "own outage neu n", "We know. We're sorry. A fix is rolling out now - lights should reconnect over the next few minutes. Full write-up coming.", key="fix")
xr(PRIYA, "priya", "praise outage pos n", "back now 🙌 took about 40 min. thanks for the updates @lumorahelp")
x(("kris_k", "Kris", 300), "praise outage pos n", "lights back! lumora we're cool. for now. 👀")
rt(("glowgetter", "Glow", 80), "repost outage neu n", "RT @lumora: We know. We're sorry. A fix is rolling out now - lights should reconnect over the next few minutes.")
x(("pixelpusher", "Pixel", 5100), "complaint outage neg y", "lights are back but every Lumora scene I made is GONE. hours of work. @lumorahelp please tell me they can be restored")
x(DAVE_R, "complaint outage neg y", "@lumorahelp hub still orange even though everyone says it's back", key="daver")

bs(("ops-otto.bsky.social", "Otto", 1900), "complaint outage neg y", "@lumora.bsky.social is the Lumora cloud down? app says hub offline and my lights are stuck at full brightness", key="otto")
bs(("sleepless-sam.bsky.social", "Sam", 60), "complaint outage neg y", "@lumora.bsky.social 1am and my bedroom light won't turn off. Lumora outage??")

# =========================================================================================
# 360-600 s: aftermath, follow-ups, the rest of the evening
# =========================================================================================
phase(360, 600)

x(HELP, "own outage neu n", "Lumora app and cloud services are fully restored. If your Hub is still orange, unplug it for 10 seconds. Incident report tomorrow. Again - we're sorry.")
xr(DAVE_R, "daver", "other outage pos n", "unplugged it, works now. thx")
x(RAFAEL, "news outage neu n", "My write-up on tonight's Lumora outage: ~47 min, an auth-service config change, cloud-only users hit hardest. The Hub's local mode kept working - but it's off by default. That should change.")
xr(DANA, "dana1", "praise billing pos n", "update: the double Lumora Plus charge got refunded. took a week but it's done. thanks @lumorahelp")

bsr(("ops-otto.bsky.social", "Otto", 1900), "otto", "praise outage pos n", "@lumora.bsky.social back online here, thanks for the quick Lumora status updates")
bsr(MIRA, "tess1", "other billing neu n", "same thing happened to me with Lumora Plus, it took two weeks but they did refund it")
bs(("gridlines.bsky.social", "Lumo Airdrop", 12), "spam - neu n", "🚀 Lumora airdrop is LIVE! claim free LUMO tokens now @lumora.bsky.social link in bio")
x(STACY, "question billing neu y", "@lumorahelp are Lumora Plus members getting a credit for tonight's outage?")
xr(BRANDON, "mb1", "complaint defect neg y", "still no reply about my dead strip @lumorahelp. it's been a week. controller still blinking red. do I just throw it out?", key="mb2")
x(("zwsp_zack", "Zack", 40), "complaint defect neg y", "@lumora\u200bhelp my Lu\u200bmora hub won't pair with the new strip, tried re\u200dsetting it three times \ufeffplease help")
x(("free_bulbs_4u", "Free Bulbs", 1), "spam - neu n", "L\u200bu\u200bm\u200bo\u200br\u200ba giveaway!! free smart bulbs for the first 100, claim now ➡️ lum0ra-gift\u200b.com \ufeff🎁")
x(("💡glowguy💡", "💡 Glow Guy 🌈✨", 150), "praise - pos n", "the lumora hub is 🔥🔥 honestly best smart home buy this year")
x(("rtl_ruth", "Ruth", 30), "complaint billing neg y", "Lumora refund status: \u202edednufer ton\u202c - still nothing after 3 weeks @lumorahelp")
x(("reviewed_by_rita", "Rita | Gadget Reviews", 33000, True), "news - pos n", "Lumora Ember review: the warmest, most candle-like smart bulb I've tested. $19 each is steep and the app still needs polish. 8/10. Full review on the blog.")
x(("lumorafallsgazette", "Lumora Falls Gazette", 2100), "excluded - neu n", "City council approves new bike lanes on Main St in Lumora Falls; construction begins in spring.")
rp(("refund_runaround", 300), "LumoraLights", "complaint billing neg y", "Lumora Plus refund denied because 'usage detected'",
   "Asked for a refund of the annual plan 2 days after it renewed (forgot to cancel). Denied because the app 'detected Plus feature usage' - i.e. the away-mode schedule that was already running. Is that even legal?", key="refund")
rc(("consumer_law_cat", 9000), "refund", "other billing neu n", "Depends where you live. In the EU/UK you often have cancellation rights for digital subscriptions. In the US check your state's auto-renewal law, some require a clear reminder before a renewal.")
rc(("refund_runaround", 300), "refund", "complaint billing neg y", "US, California. Looks like they had to send a reminder, which they didn't. Sent them the statute. Let's see.")
x(("melting_mel", "Melissa", 610), "complaint defect neg y", "@lumorahelp the power adapter for my Lumora strip MELTED. the plastic is warped and it smells awful. thank god I was home, this could have started a fire!!")
x(("sophia_lr", "Sophia", 410), "question billing neu y", "@lumorahelp can I get an invoice with my company name on it for my Lumora order? need it for expenses")
xr(KYLE, "kyle1", "complaint delivery neg y", "@lumorahelp order #LUM-448120 STILL not here. day 16. just refund me at this point")
x(("chef_antoine", "Antoine Moreau", 5400), "excluded - pos n", "Tonight's special at Lumora Bistro: duck confit with cherry glaze. 6 tables left. 🍷")
x(("fr_claire", "Claire Fontaine", 2200), "complaint billing neg y", "Remboursement Lumora toujours pas reçu, alors que j'ai renvoyé le hub il y a un mois. Le service client ne répond plus. 😡", lang="fr")
x(("nick_nack", "Nick", 28), "complaint billing neg y", "why is lumora charging me sales tax twice on one order? there are two tax lines on the receipt")
x(("2fa_frustrated", "Omar", 310), "question account neu y", "@lumorahelp changed phones and now lumora wants a 2FA code sent to my old number. how do I get back into my account?")
rp(("schedules_sad", 700), "LumoraLights", "complaint outage neg y", "Schedules keep resetting after the outage",
   "Since the outage my sunrise/sunset schedules reset to defaults every morning. Re-created them 3 times now. Anyone else? Hub is on 4.2.1.", key="sched")
rc(OFFICIAL, "sched", "own outage neu n", "Thanks for the report - we've reproduced it. It affects hubs that were mid-sync when the outage hit. Fix is in 4.2.2 later this week. Workaround: remove and re-add the schedule from the Hub page, not the room page.")
rc(R_HANERD, "sched", "other outage pos n", "Same issue here, the workaround worked for me 👍")
x(("locked_out_lou", "Lou", 50), "complaint account neg y", "5 password reset emails from Lumora, none arrived. checked spam. locked out for 2 days now 😤")
x(("smoke_sam", "Sam O", 880), "complaint defect neg y", "SMOKE coming out of a Lumora bulb in my kid's room. shut it off at the breaker. what the hell @lumorahelp")
x(("hiking_hannah_x", "Hannah Hikes", 4000), "excluded - neu n", "Anyone done the upper loop at Lumora Falls lately? Is it still open this late in the season or is it iced over?")
rp(("gift_giver_gail", 110), "smarthome", "complaint billing neg y", "Lumora gift card not working at checkout",
   "Got a $50 Lumora gift card for my birthday. Checkout says 'invalid code' every time, app and website. Support says 'allow 24h for activation' - it's been a week.")
x(("sara_secure", "Sara", 2600), "question account neu y", "Got a Lumora 'password reset' email I never requested, from lumora-security-alerts.net. Is that phishing? @lumorahelp heads up")
x(HACKED_HAL, "complaint account neg y", "someone logged into my lumora account from another country and turned all my lights red at 3am. terrifying. @lumorahelp", key="hhal")
xr(("phish_lumora_support", "Lumora Help Center", 3), "hhal", "spam account neu n", "@hacked_hal We can help restore your account! Please verify at lumora-help-center.com/verify with your login details 🙏")
xr(HELP, "hhal", "own account neu n", "Hal, that sounds scary - we're sorry. We've signed out every session on your account. Please DM us (and only us - we'll never ask for your password) so we can secure it together.")
x(("harold_w", "Harold", 140), "complaint defect neg y", "Lumora bulb buzzing and flickering when dimmed on my old dimmer switch. Was told they were compatible.")
x(("keisha_b", "Keisha", 3300), "complaint defect neg y", "the adhesive on the Lumora strips is a joke. half my strip is hanging off the ceiling after a week 😩")
x(("sharing_sharon", "Sharon", 120), "question account neu y", "How do I share Lumora access with my husband without giving him my password?")
x(("smarthome_weekly", "Smart Home Weekly", 45000, True), "news - pos n", "Lumora confirms Matter support for the Hub in firmware 4.3, due next month. Existing bulbs included. #smarthome #Matter")
rt(("firmware_fan", "Abe", 50), "repost - pos n", "RT @smarthome_weekly: Lumora confirms Matter support for the Hub in firmware 4.3, due next month. Existing bulbs included. #smarthome #Matter")
x(("dead_pixel_pete", "Pete", 60), "complaint defect neg y", "two lumora bulbs DOA out of a 4-pack. bulbs 3 and 4 don't even power on.")
x(("intl_ian", "Ian", 150), "question delivery neu y", "Do you ship Lumora to Canada yet or do I have to use a forwarding service? @lumorahelp")
xr(BRANDON, "mb1", "other defect neu n", "nvm got an email, they're replacing it. took a while but ok")
x(("vanlife_val", "Val 🚐", 15200), "praise - pos n", "Lumora strip in the van runs off the 12V system with the USB-C controller. cozy vibes for $30 ✨ #vanlife")
rp(("moving_mo", 420), "LumoraLights", "complaint account neg y", "Lost all my rooms after changing my email",
   "Changed my account email in the app, logged out, logged back in with the new one - empty account. The old email doesn't work anymore. 23 bulbs and 6 rooms in limbo.", key="email")
rc(R_MOD, "email", "other account neu n", "Known bug when the email change doesn't finish syncing. Don't set anything up on the empty account - contact support with both emails, they can merge them.")
rc(("moving_mo", 420), "email", "complaint account neg y", "Too late, I already added one bulb to the new one. Hopefully they can still fix it. Ticket open.")
x(("giveaway_glen", "🎉 Glen Giveaways 🎉", 2400), "spam - neu n", "GIVING AWAY 5 Lumora Hubs!! 🎁 Follow me + RT + tag 3 friends. Winners DMed (don't fall for fakes lol) #giveaway #Lumora")
rp(("data_dan", 5000), "homeautomation", "praise outage pos n", "Lumora's outage post-mortem is actually decent",
   "Say what you want about the outage, but the post-mortem they published is more detailed than most: root cause, timeline, and they're making LAN mode the default in 4.3. That's the right call.", key="pm")
rc(R_LARRY, "pm", "praise outage pos n", "LAN on by default is exactly what I asked for. Credit where due.")
rc(R_GUS, "pm", "sarcasm outage neg n", "They'll forget all about it by next quarter. Enjoy it while it lasts.")
rc(("hopeful_hue_refugee", 210), "pm", "question outage neu y", "Does 4.3 turn LAN mode on for existing hubs too, or only fresh setups?")
x(("kiki_lane", "Kiki", 150), "complaint account neg y", "why does lumora make me log in again every single morning. 'remember me' is checked. it does not remember me")
x(("ex_roommate_issue", "Tam", 30), "complaint account neg y", "my ex still has access to my Lumora home and keeps turning the lights on at night. I removed him but he's still there?? @lumorahelp please")
x(("noah.b", "Noah B", 890), "complaint defect neg y", "Lumora strip controller gets so hot I can't hold it. unplugged it for now @lumorahelp")
x(("budget_betty", "Betty", 64), "complaint billing neg y", "Lumora promo code said 20% off, checkout took it and then charged full price anyway. receipt shows $0 discount.")
x(("late_again_lars", "Lars", 330), "complaint delivery neg y", "my Lumora order shipped to my OLD address even though I updated it in my account before ordering. now it's someone else's bulbs 🙃 @lumorahelp")
x(("sleepy_sasha", "Sasha", 120), "complaint defect neg y", "the new Lumora Ember in my bedroom turns on at full brightness for a second every time the Wi-Fi reconnects. at 4am. fun.")
x(("del_acct_dan", "Dan K", 20), "question account neu y", "how do I delete my Lumora account and all my data? can't find it anywhere in the app")
x(("reviewbot_irl", "honest reviews", 510), "sarcasm defect neg n", "5 stars. my Lumora bulb turns on at random times, which keeps burglars confused. and me.")
x(("mike_eats_out", "Mike", 700), "excluded - neg n", "Lumora Bistro was a letdown tonight. 45 min wait for cold soup. Won't be back.")
rp(R_CABIN, "smarthome", "praise - pos n", "2 years of Lumora in a cabin with terrible internet",
   "Since people mostly post when things break: 14 bulbs, 2 strips, 1 hub, satellite internet that drops constantly. Local schedules have never missed once. Only failure was a bulb on the porch that got wet (my fault). Solid stuff.")
x(("colortemp_ken", "Ken", 700), "question - neu y", "what's the CRI on the Lumora Ember? couldn't find it on the box or the site")
rp(("plus_confused", 40), "LumoraLights", "complaint billing neg y", "Charged for Plus but the app says I'm on Free?",
   "Bank shows LUMORA*PLUS 4.99 every month since June, but the app says Free plan and none of the Plus features work. Support ticket #88213 open for 10 days. What do I do?", key="twoaccts")
rc(R_FRED, "twoaccts", "other billing neu n", "Check whether you have two accounts - one with Apple sign-in and one with email. Happened to me.")
rc(("plus_confused", 40), "twoaccts", "complaint billing neg y", "...oh my god. that was it. two accounts. still want a refund for the one that was paying for nothing though")
x(("support_fan_sy", "Sy", 420), "praise - pos n", "shoutout to Marco from @lumorahelp chat who walked me through resetting my hub at 11pm. legend.")
x(("battery_bri", "Bri", 95), "question defect neu y", "the Lumora remote battery lasted 3 weeks?? is that normal or is mine broken")
x(RYAN, "sarcasm - neg y", "wow @lumorahelp answered my ticket in only 9 days, new record 🏆")
rp(("strip_surgeon", 2300), "LumoraLights", "other defect neu n", "PSA: cutting Lumora strips - cut ONLY on the copper marks",
   "Seen three posts this week about 'dead' strips after cutting. The cut marks are every 3 LEDs. Cut anywhere else and the segment after it is toast. That's not a defect, sadly.", key="cut")
rc(("cheap_led_outlet", 1), "cut", "spam - neu n", "Buy replacement Lumora-compatible strips 70% OFF at cheapledz.biz!! best quality!! free shipping!!")
rc(("oops_i_cut_it", 15), "cut", "question defect neu y", "welp. that's what I did. is there any way to re-solder the segment or is the whole strip done?")
rp(("bastler_bernd", 1200), "smarthome", "question account neu y", "Lumora Hub ohne Cloud-Konto betreiben?",
   "Kann man den Lumora Hub komplett ohne Cloud-Konto betreiben? Datenschutz ist mir wichtig und ich will nicht, dass meine Lichtzeiten auf irgendeinem Server landen.", lang="de")
rp(("lucas_br", 300), "smarthome", "question - neu y", "Lumora vale a pena?",
   "Estou pensando em comprar o kit inicial da Lumora. Alguém aqui usa? Funciona bem com o Google Home? Valeu!", lang="pt")
x(("nope_nadia", "Nadia", 140), "sarcasm billing neg n", "can't wait for Lumora Plus Pro Max, where the light turns on for an extra $3/mo")
rp(("hot_hub_harry", 1300), "homeautomation", "complaint defect neg y", "Measured the Lumora Hub at 71°C with a thermal camera",
   "After the teardown video I pointed my FLIR at mine: 71°C on the top surface, open shelf, 22°C room. That seems way too hot for a plastic box that sits next to other stuff.", key="flir")
rc(("hank_homelab", 41200), "flir", "other defect neu n", "Matches what I saw. Raise it on a couple of cork pads and it drops ~8°C. Lumora really should ship it with feet.")
rc(("worried_wendy_r", 60), "flir", "other defect neg n", "Mine is right next to the curtains. Moving it right now.")
x(("teacher_tom", "Mr. T", 880), "praise - pos n", "Put a Lumora bulb in my classroom reading corner. It goes blue at quiet time. The kids actually respect the blue light 😂")
x(("gadget_biz_daily", "Gadget Business Daily", 120000, True), "news - neu n", "Lumora raises $40M Series B to expand into Europe, plans an EU warehouse next year.")
x(("bitcoin_bella", "Bella ₿", 30), "spam - neu n", "Lumora x Bitcoin? 👀 Send 0.01 BTC, receive 0.02 back 🔁 verified giveaway ✅ #Lumora #BTC")
x(("ux_critic", "Priscilla", 6400), "other - neu n", "Design thread: what Lumora's app gets right about onboarding (and what it doesn't) 🧵")
x(("student_sue", "Sue", 40), "question - neu y", "does lumora have a student discount on the store?")
x(("mark_meh", "Mark", 700), "sarcasm billing neg n", "Thrilled to pay $4.99 a month so my lights can tell me they're offline. Thanks Lumora.")
rp(("newbie_nora", 5), "smarthome", "question - neu y", "Lumora newbie - which starter kit?",
   "Want to light a small bedroom + a desk. 3-bulb kit or the strip + hub kit? Budget ~$80, no other smart home stuff yet.", key="nora")
rc(R_LAMP, "nora", "other - neu n", "Strip + hub. The hub makes everything better and you can add bulbs later.")
rc(R_SPARKY, "nora", "other - neu n", "3-bulb kit if the bedroom has a ceiling fixture. Strips only look good if you have somewhere to hide them.")
x(("quiet_quinn", "Quinn", 60), "praise - pos n", "thank u lumora for making my room look like a 2am aesthetic tiktok 🥹")
x(("followback_fiona", "Fiona ✨ follow back 100%", 4300), "spam - neu n", "follow me and I follow back 💯 #Lumora #smarthome #followback #f4f #teamfollowback")
x(("weather_lumorafalls", "Lumora Falls Weather", 900), "excluded - neg n", "Flood watch for Lumora Falls and surrounding areas until 6 PM. Power outages possible - charge your phones.")
rp(("international_ines", 500), "LumoraLights", "question delivery neu y", "Shipping to Portugal?",
   "Does the Lumora store ship to Portugal yet, now that they raised money for an EU warehouse? Checkout only shows US/CA/UK for me.")
x(("jen_b_careful", "Jen", 260), "complaint delivery neg y", "@lumorahelp you charged my card for express shipping and the Lumora order came regular ground, 8 days. can I get the shipping fee back?")
x(("the_dad_report", "Phil", 1500), "other - pos n", "my teenager has discovered that the Lumora app lets him change the living room light color from his room. I am being haunted by my own son.")
x(("lucia.gm", "Lucía", 680), "praise - pos n", "Las bombillas Lumora son lo mejor que he comprado para el salón. Luz cálida preciosa y la app es facilísima 💛", lang="es")
x(("huberman_fan_42", "Nick T", 90), "question - neu y", "does the lumora circadian thing actually filter blue light or is it just making things orange")
x(("pierre_l", "Pierre L.", 410), "question account neu y", "@lumorahelp Je n'arrive pas à réinitialiser mon mot de passe Lumora, le lien du mail est expiré à chaque fois. Une idée ?", lang="fr")
x(("tired_of_this_x", "Kat", 330), "complaint delivery neg y", "ordered a Lumora hub as a gift, it went to a locker 40 miles away?? I never picked a locker. @lumorahelp")
x(("bulb_buddy", "Bulb Buddy", 2900), "praise - pos n", "Swapped every bulb in the house to Lumora over the last year. Zero failures, scenes are great, and the Hub survived two router changes. Quietly one of the best brands in this space.")
x(("jp_hikari", "田中", 1200), "complaint billing neg y", "Lumora Plusを解約したのに今月も請求されました。返金してください @lumorahelp", lang="ja")
x(("ceiling_fan_frank", "Frank", 75), "question - neu y", "will a lumora bulb work in a ceiling fan light kit or do the fan vibrations kill them?")
rp(("cheap_and_cheerful", 3300), "smarthome", "praise - pos n", "Lumora is the best value smart lighting right now, fight me",
   "Hue is great but 3x the price. Lumora bulbs are 90% as good, the hub does local, and the app finally got decent. Yes the outage sucked. Still recommending it to friends.", key="value")
rc(("hue_loyalist", 8000), "value", "other - neu n", "90% is generous, colour accuracy is noticeably worse in the greens. But for the price, sure.")
x(("arwa_k", "أروى", 960), "praise - pos n", "أحب إضاءة Lumora في غرفة المعيشة، الألوان دافئة وجميلة جداً 💡", lang="ar")
x(("angry_al", "Al", 12), "complaint defect neg y", "THIRD Lumora hub in 6 months. THIRD. they all die the same way, white light then nothing. @lumorahelp I want a refund not another hub")
x(("mom_of_3_meg", "Meg", 880), "complaint account neg y", "My kids' tablet is on my Lumora account and somehow they've locked me out with the parental PIN thing. How do I reset it?? @lumorahelp")
x(("sysadmin_sid", "Sid", 4200), "other - neu n", "Reminder that the Lumora Hub does NTP against a hardcoded pool. If your network blocks it, your schedules drift. Ask me how I know.")
x(("bday_bella", "Bella", 140), "praise - pos n", "Lumora strip + party mode for my daughter's 7th bday = she thinks I'm a wizard 🧙‍♀️✨")
x(("chris_p_bacon", "Chris", 50), "complaint delivery neg y", "lumora said my order shipped 4 days ago, carrier says they never received the package. who do I yell at")
x(("vet_vicky", "Dr. Vicky", 2100), "question - neu y", "Do Lumora bulbs flicker at a frequency pets can see? My dog goes weird under them when they're dimmed.")
x(("ana_perez_mx", "Ana Pérez", 300), "complaint delivery neg y", "@lumorahelp mi paquete llegó abierto y falta el hub. Solo venían los focos. ¿Qué hago?", lang="es")
x(("crypto_whale_alerts", "Whale Alerts 🐋", 880), "spam - neu n", "🐋 Whale just bought $2M of $LUMO. Next 100x? Lumora holders eating good 🚀 join the VIP t.me/lumowhales")
rp(("crypto_mod_alert", 1), "LumoraLights", "spam - neu n", "🚀 LUMORA TOKEN PRESALE - OFFICIAL 🚀",
   "Official Lumora token presale is LIVE! Holders get free bulbs + Plus for life. Limited spots: lumoratoken-presale.io")
x(("ollie_g", "Ollie", 190), "praise outage pos n", "ngl the Lumora outage write-up was refreshingly honest. more companies should do this")
x(("tired_teacher_t", "Tonya", 150), "complaint outage neg y", "my Lumora hub has been offline since the outage. unplugged it, reset it, nothing. it's been 2 hours. @lumorahelp")
x(("mira_lights", "Mira K", 330), "complaint defect neg y", "new Lumora Ember bulb has a high-pitched whine you can hear across the room. returned one already, the replacement does it too")
x(("dj_vortex", "DJ VORTEX", 23000), "praise - pos n", "Lumora strips synced to the decks at the club last night. crowd went feral 🔊💜 @lumora you need to sponsor me fr")
x(("silver_surfer_sue", "Sue W.", 9), "question - neu y", "What does the blinking blue light on the Lumora hub mean? It's been doing it since this morning.")
x(("refund_ryan", "Ryan K", 110), "complaint billing neg y", "Returned my Lumora strip 30 days ago (with tracking showing delivered to your warehouse). Still no refund. @lumorahelp")
x(("anon_lumora_user", "", 0), "complaint account neg y", "lumora account got hacked, password changed, email changed, I can't do anything. help")
x(("gay_for_gadgets", "Jordan 🏳️‍🌈", 5600), "praise - pos n", "Lumora pride collection colors on the strip are *chef's kiss* 🌈 finally a rainbow that isn't just RGB max saturation")
x(("grumpy_pete_x", "Pete", 2), "complaint - neg y", "Lumora app asks me to rate it every. single. time. I open it. NO.")
rp(R_MOD, "LumoraLights", "news outage neu n", "Megathread: tonight's outage",
   "Please keep outage reports in here. Lumora's post-mortem is linked in the sidebar. If your Hub is still offline after a power cycle, post your firmware version and the hub LED colour.", key="mega")
rc(("still_offline_stan", 35), "mega", "complaint outage neg y", "Hub 4.2.1, LED solid orange, power cycled 4 times. Still offline.")
rc(("fixed_it_felicia", 400), "mega", "other outage neu n", "Stan - hold the button on the back for 10s until it blinks white, that fixed mine.")
x(("sunrise_sam", "Sam", 440), "question - neu y", "@lumorahelp can the sunrise alarm be longer than 30 min? I want a slow 60 min wake-up")
x(("rosa_lux", "Rosa", 760), "complaint billing neg y", "Lumora Plus price went from $3.99 to $4.99 with no email, I only noticed on my statement. not cool @lumora")
x(("uk_user_harry", "Harry", 220), "complaint delivery neg y", "Lumora order stuck in customs for 2 weeks and now they want me to pay £23 import fees?? this wasn't mentioned at checkout")
x(("fin_felix", "Felix", 80), "question billing neu y", "Can I pay for Lumora Plus yearly instead of monthly? @lumorahelp")
x(("marco_at_lumora", "Marco (Lumora support)", 310), "other - pos n", "long night on the Lumora support queue but we got through it. thanks everyone for your patience tonight 💛")
x(LUMORA, "own - pos n", "Thank you for sticking with us tonight. Lights on, lessons learned. 💡")
x(("late_night_lena", "Lena", 45), "complaint outage neg y", "still can't get my Lumora bulbs back online after the outage. app says 'searching for hub' forever. @lumorahelp")
x(("hearts_for_hue", "Paulo", 2200), "praise - pos n", "Comprei as lâmpadas Lumora e estou impressionado. A instalação levou 5 minutos e funcionam perfeitamente com a Alexa 👏", lang="pt")
x(("closing_time_carl", "Carl B", 350), "complaint account neg y", "@lumorahelp I've been locked out of Lumora for 'too many attempts' for 24 hours. I tried 3 times. please unlock")


def long_rant() -> str:
    """A real complaint followed by a long, repetitive rant: the >= 20 KB input."""
    text = (
        "Long post, sorry, but I need this on record. I cancelled Lumora Plus on August 2 (I have the "
        "confirmation email, subject 'We're sorry to see you go'), and I have still been charged $4.99 "
        "on September 3, October 3 and November 3. Ticket #90417 was closed twice without an answer. "
        "I want the three charges refunded and the subscription actually cancelled.\n\n"
        "And since nobody reads tickets, here is my diary:\n"
    )
    moods = [
        "still charged, still no refund, still no reply from Lumora",
        "checked my statement again, the Lumora Plus charge is still there",
        "opened the app, it says I'm on Free, my bank says otherwise",
        "emailed support again, got the same auto-reply as yesterday",
        "my lights work fine, which is more than I can say for Lumora billing",
    ]
    day = 1
    while len(text) < 20_500:
        text += f"Day {day}: {moods[day % len(moods)]}. "
        if day % 10 == 0:
            text += "REFUND ME.\n"
        day += 1
    return text + "\n\nIf anyone from Lumora actually reads this far: ticket #90417."


rp(("exhausted_customer", 120), "LumoraLights", "complaint billing neg y", "I have had it with Lumora billing", long_rant())

# A last follow-up, so one thread spans the whole demo.
xr(KYLE, "kyle1", "praise delivery pos n", "it finally showed up. box was fine, hub works. thanks for chasing the carrier @lumorahelp")

# --------------------------------------------------------------------------------------------

INVISIBLE = "\u200b\u200c\u200d\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"


def _engagement(rng: random.Random, row: dict, reply_count: int) -> dict[str, int]:
    if row["kind"] == "repost":
        return {"likes": 0, "reposts": 0, "replies": 0}
    if row["platform"] == "reddit":
        top = 400 if row["kind"] == "post" else 60
        extra = rng.randint(0, 6) if row["kind"] == "post" else 0
        return {"likes": rng.randint(1, top), "reposts": 0, "replies": reply_count + extra}
    followers = row["author"]["followers"]
    if row["expected"]["category"] == "spam":
        likes = rng.randint(0, 2)
    else:
        likes = int(followers * rng.uniform(0.001, 0.02)) + rng.randint(0, 3)
    return {
        "likes": likes,
        "reposts": int(likes * rng.uniform(0.02, 0.25)),
        "replies": reply_count + rng.randint(0, max(1, likes // 40)),
    }


def build() -> list[dict]:
    rng = random.Random(SEED)
    rows: list[dict] = []
    for start, end, phase_rows in PHASES:
        step = (end - start) / len(phase_rows)
        for i, row in enumerate(phase_rows):
            row["offset_s"] = round(start + (i + 0.5 + rng.uniform(-0.4, 0.4)) * step, 1)
            rows.append(row)
    for n, row in enumerate(rows, 1):
        row["id"] = f"s{n:04d}"

    authors: dict[tuple[str, str], dict] = {}
    for row in rows:
        who = row["who"]
        if row["platform"] == "reddit":
            handle, followers = who
            name, verified = handle, False
        else:
            handle, name, followers, *rest = who
            verified = bool(rest and rest[0])
        akey = (row["platform"], handle)
        if akey not in authors:
            authors[akey] = {
                "id": f"u{1001 + len(authors)}",
                "handle": handle,
                "name": name,
                "followers": followers,
                "verified": verified,
            }
        row["author"] = authors[akey]

    replies: dict[str, int] = {}
    for row in rows:
        parent = BY_KEY[row["to"]] if row["to"] else None
        row["in_reply_to_id"] = parent["id"] if parent else ""
        root = row
        while root["to"]:
            root = BY_KEY[root["to"]]
        row["conversation_id"] = root["id"]
        if parent:
            replies[parent["id"]] = replies.get(parent["id"], 0) + 1

    out = []
    for row in rows:
        out.append({
            "offset_s": row["offset_s"],
            "platform": row["platform"],
            "id": row["id"],
            "author": dict(row["author"]),
            "text": row["text"],
            "lang": row["lang"],
            "kind": row["kind"],
            "in_reply_to_id": row["in_reply_to_id"],
            "conversation_id": row["conversation_id"],
            "subreddit": row["subreddit"],
            "title": row["title"],
            "engagement": _engagement(rng, row, replies.get(row["id"], 0)),
            "expected": row["expected"],
        })
    assert all(0 <= r["offset_s"] < 600 for r in out)
    assert all(a["offset_s"] <= b["offset_s"] for a, b in itertools.pairwise(out))
    return out


def dumps(obj: dict) -> str:
    """One JSON line; invisible and bidi control characters stay escaped so the file reads plainly."""
    line = json.dumps(obj, ensure_ascii=False)
    for ch in INVISIBLE:
        line = line.replace(ch, f"\\u{ord(ch):04x}")
    return line


def main() -> None:
    rows = build()
    OUT.write_text("".join(dumps(r) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} mentions to {OUT}")


if __name__ == "__main__":
    main()
