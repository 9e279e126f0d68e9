"""The breadth of what the phrase lists know, beyond the whole-call corpora: for each of the issue's
categories, the grammatical forms a caller really uses in every language and script (verb forms, honorifics,
word orders, postpositions), each checked phrase by phrase. tests/test_analysis_speech.py holds the first
examples of each category; these are the forms found missing when the lists were read against the grammar."""

from __future__ import annotations

import pytest

from analysis import Analyzer
from analysis.fields import Field
from analysis.names import is_sound
from analysis.phrasebook import Text
from analysis.replies import affirms, asks_for_person, is_ivr

ANALYZER = Analyzer()
BOOK = ANALYZER.phrasebook
DIALOGUE = ANALYZER.dialogue
N, M, E = Field.NAME, Field.MODEL, Field.EMAIL

# Requests for a person: wanting one ("I want a human"), someone else calling ("ask the dealer to give me a
# call"), "ke saath" beside "se", connecting verbs ("jod do"), the verb at either end (Hindi, Gujarati and
# Punjabi put "tell" last: "dealer ko mujhe call karne ke liye boliye"), and the spellings of the Dravidian
# verbs ("maatladaali", "mathanaadabeku"), only in the forms that ask.
REQUESTS = [
    "ask the dealer to give me a call",
    "can someone from the dealership call me",
    "i want a human",
    "i need a human",
    "give me a human",
    "i want the dealer to call me",
    "i'd like the showroom to call me back",
    "please arrange a call with the dealer",
    "can i talk to a sales rep",
    "connect me with your sales guy",
    "put me on with the dealer",
    "is there a real person available",
    "can a real person call me",
    "have the manager give me a call",
    "can i get a call from the dealer",
    "i'd like to speak to an actual person",
    "i want to talk to your boss",
    "is there anyone i can speak to",
    "get me someone from sales",
    "dealer ke saath baat karni hai",
    "dealer ke sath baat karwa do",
    "mujhe ek real person chahiye",
    "mujhe insaan chahiye machine nahi",
    "showroom se kisi ko bolo mujhe call kare",
    "dealer ko call karne ko bolo",
    "dealer ko mujhe call karne ke liye boliye",
    "dealer se jod do",
    "mujhe agent se jodiye",
    "dealer ko line pe lao",
    "dealer mujhe call kare",
    "dealer mujhe phone kar le",
    "sales team se baat karao",
    "kisi executive ko mujhe call karne ko kahiye",
    "machine nahi chahiye insaan chahiye",
    "showroom walon se baat karni hai",
    "dealer se mera contact karwa do",
    "call dealer ko transfer kar do",
    "डीलर के साथ बात करनी है",
    "सेल्स टीम से बात कराइए",
    "मुझे एजेंट से जोड़ दीजिए",
    "शोरूम से किसी को बोलिए मुझे कॉल करे",
    "डीलर को मुझे कॉल करने के लिए बोलिए",
    "मुझे इंसान चाहिए मशीन नहीं",
    "मैनेजर को बुलाइए",
    "डीलर मुझे कॉल करे",
    "डीलर का फोन चाहिए",
    "connect pannunga dealer kitta",
    "manager-ai koopidunga",
    "dealer enakku call pannattum",
    "showroom la irunthu yaaravathu call pannunga",
    "டீலர் எனக்கு கால் பண்ணட்டும்",
    "மேனேஜரை கூப்பிடுங்க",
    "dealer tho maatladali",
    "dealer tho matladaalani undi",
    "dealer tho maatlaadaali",
    "dealer nannu call cheyali",
    "showroom vallu naaku call cheyali",
    "oka manishi tho matladalani undi",
    "machine tho kaadu manishi kavali",
    "డీలర్ తో మాట్లాడాలనుకుంటున్నాను",
    "dealer avara jothe maathanaadabeku",
    "dealer ge call maadakke heli",
    "dealer ge nanage call madi anta heli",
    "yaradru manushyaru call maadi",
    "showroom avrige heli nange call maadoke",
    "ಡೀಲರ್‌ಗೆ ಫೋನ್ ಮಾಡಲು ಹೇಳಿ",
    "dealer ne kejo mane phone kare",
    "ડીલર ને મને ફોન કરવાનું કહો",
    "manager ne bolavo",
    "koi manas joie machine nahi",
    "dealer ne mane call karvanu kaho",
    "showroom ma koi ne kaho mane phone kare",
    "dealer de naal gal karni hai",
    "dealer nu phone karan layi kaho",
    "ਡੀਲਰ ਨੂੰ ਮੈਨੂੰ ਫ਼ੋਨ ਕਰਨ ਲਈ ਕਹੋ",
    "showroom waleyan naal gal karao",
    "look can your senior sales guy just call me instead",
    "could you ask whichever salesperson handles the n line to give me a ring this evening",
    "just put your manager on the line",
    "jo rakesh ji salesman hain na unko boliye mujhe call karein",
    "ದಯವಿಟ್ಟು ನಿಮ್ಮ ಸೇಲ್ಸ್ ಅವರಿಗೆ ನನಗೆ ಕಾಲ್ ಮಾಡೋಕೆ ಹೇಳಿ",
    "saade ilaake de showroom wale nu keh do mainu phone kar lain",
    "சீனியர் யாராவது பேசுவாங்களா",
    "మీ సీనియర్ ని మాట్లాడమనండి",
    "షోరూమ్ నుండి ఎవరైనా నాకు కాల్ చేయండి",
    "sales vallaki cheppandi naaku call cheyamani",
    "మీ మేనేజర్ కి ఫోన్ ఇవ్వండి",
    "showroom mathi koi mane phone kare",
    "dealer no phone aavvo joie",
    "ਕਿਸੇ ਸੀਨੀਅਰ ਨੂੰ ਕਹੋ ਮੈਨੂੰ ਫ਼ੋਨ ਕਰੇ",
    "showroom ton koi mainu phone kar lave",
    "showroom se koi mujhe call kar le",
    "शोरूम से कोई मुझे कॉल कर ले",
    "सेल्स वाले को बोलिए कॉल करे",
    "showroom se kisi ko bhejiye",
    "i'd prefer a call from the showroom",
    "could your team call me tomorrow",
    # An emphatic particle inside the request ("se hi", "sathe j", "naal hi"), the phone handed over, the
    # line, "is there a person?", the passive ("could I be transferred").
    "नहीं मुझे डीलर से ही बात करनी है",
    "dealer ko hi phone karo",
    "main dealer naal hi gal karanga",
    "ડીલર સાથે જ વાત કરીશ",
    "mere ko manager chahiye line pe",
    "koi real banda hai kya wahan",
    "कोई आदमी है वहां बात करने के लिए",
    "konjam manager kitta kudunga",
    "மனுஷங்க யாராவது இருக்காங்களா",
    "நான் டீலர் கூடவே பேசிக்கிறேன்",
    "dealer ni line lo pettandi",
    "evaraina manishi unnara",
    "dealer ge phone kodi",
    "yaradru manushyaru idara",
    "ಮ್ಯಾನೇಜರ್ ಗೆ ಫೋನ್ ಕೊಡಿ",
    "dealer ne phone aapo",
    "koi manas che tya",
    "મેનેજરને ફોન આપો",
    "dealer nu phone dedo",
    "koi banda hai othe",
    "ਮੈਨੇਜਰ ਨੂੰ ਫ਼ੋਨ ਦਿਓ",
    "ਕੋਈ ਬੰਦਾ ਹੈ ਗੱਲ ਕਰਨ ਲਈ",
    "put the manager on please",
    "is anybody there from sales",
    "could i be transferred to the dealer",
    "i want to be connected to a human",
    "just connect me to the tata dealer",
    "put me through to sales please",
    "i'd rather discuss this with a person",
    "please transfer me",
    "i don't want to talk to an ai",
    "kisi aur se baat karao",
    "dealer ka koi aadmi call kare mujhe",
    "நான் மனுஷன் கிட்ட தான் பேசுவேன்",
    "ஷோரூம்ல இருந்து யாராவது கூப்பிடுங்க",
    "શોરૂમ વાળાને કહો મને ફોન કરે",
    "शोरूम वालों को बोलिए मुझे फोन करें",
]
# Not requests: the past ("the dealer called me", "dealer se baat ho chuki"), negated forms of the same verbs
# ("matladanu", "maatadbekilla"), questions about the agent, and talking to one's own family.
NOT_REQUESTS = [
    "i already spoke to the dealer",
    "the dealer called me yesterday",
    "my brother talked to the dealer",
    "my friend asked the dealer to call him",
    "please don't ask the dealer to call me",
    "no need for the dealer to call me",
    "i don't need a human",
    "dealer se baat ho chuki hai",
    "dealer ko maine bola tha call karne ko",
    "dealer se kisi ne call kiya tha",
    "dealer ka call aaya tha",
    "dealer ne mujhe call kiya tha",
    "showroom wale ne call kiya tha",
    "dealer kitta already pesitten",
    "dealer tho matladanu already",
    "dealer tho matladesanu",
    "dealer jothe maatadbekilla",
    "dealer ne mane call karyo hato",
    "dealer da phone aaya si",
    "are you a real person",
    "let me talk to my wife and get back",
    "ghar walon se baat karke bataunga",
    "ghar waleyan naal gal karke dassanga",
    "dealer ka naam kya hai",
    "டீலர் கிட்ட ஏற்கனவே பேசிட்டேன்",
    "డీలర్ తో మాట్లాడాను",
    "ಡೀಲರ್ ಜೊತೆ ಮಾತಾಡಿದ್ದೀನಿ",
    "ડીલર સાથે વાત થઈ ગઈ",
    "ਡੀਲਰ ਨਾਲ ਗੱਲ ਹੋ ਗਈ",
    "showroom se koi call nahi aaya",
    "hu jate showroom ma aavi ne joi laish koi ne call karvani jarur nathi",
    "why would the dealer not call me",
    "i'll wait for the dealer's call",
    "you can call me later",
    "aap mujhe shaam ko call karo",
]


@pytest.mark.parametrize("text", REQUESTS)
def test_a_request_for_a_person_in_every_form(text: str) -> None:
    assert asks_for_person(Text(text), BOOK)


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_the_same_words_that_ask_for_nobody(text: str) -> None:
    assert not asks_for_person(Text(text), BOOK)


# Replies where a name is asked that hold none: the full inventory of acknowledgements, "go on" verbs
# ("kahiye", "farmaiye", "cheppu", "helri", "bolo ne"), "that one" ("wahi", "adhe", "ohi"), sounds in every
# script ("hmm", "ம்ம்", "హ్మ్", "ఆ"), greetings, times of day and places.
NOT_NAMES = [
    "mhm",
    "mm hmm",
    "mmm",
    "noted",
    "cool",
    "namaste",
    "vanakkam",
    "ji kahiye",
    "kahiye",
    "bolie",
    "जी कहिए",
    "haan ji farmaiye",
    "ji janab",
    "ம்",
    "ம்ம்ம்",
    "ஆ",
    "கேட்டுகிட்டு இருக்கேன்",
    "ennanga",
    "என்னங்க",
    "aamam",
    "హా చెప్పండి",
    "ఆ చెప్పండి",
    "హ్మ్",
    "చెప్పు",
    "ఏంటండి",
    "helri",
    "ಹಾ",
    "ಹೇಳ್ರಿ",
    "ಏನ್ರಿ",
    "ಕರೆಕ್ಟ್",
    "બોલો ને",
    "kaho ne",
    "હમ્મ",
    "ચાલો",
    "barobar",
    "જી",
    "ਅੱਛਾ",
    "ਚੰਗਾ",
    "ਬਿਲਕੁਲ",
    "aaho ji",
    "subah",
    "kal shaam ko",
    "sunday",
    "delhi",
    "main pune se hoon",
    "chennai la irundhu",
    "kis liye",
    "haan haan bolo jaldi",
    "okey dokey",
    "ਬਾਅਦ ਵਿੱਚ ਕਰਿਓ",
    "பீப்",
    "ಬೀಪ್",
    "બીપ",
    "hello sambhlay che? avaaj nathi aavto barabar",
    "chhado ji tusi baad ch phone karo",
    "ਮੈਂ ਹੁਣ ਖੇਤ ਵਿੱਚ ਹਾਂ ਬਾਅਦ ਵਿੱਚ ਗੱਲ ਕਰਾਂਗੇ",
    "હું અત્યારે ઓફિસમાં છું",
    # Dismissals and refusals in every language.
    "vidunga sir",
    "bidi sir",
    "ਛੱਡੋ ਜੀ",
    "rehva do",
    "paravaillai",
    "parledu andi",
    "never mind",
    "kyun chahiye naam",
    # Native-script refusals and deferrals; a nukta never hides a word ("बिज़ी" is "बिजी").
    "கார் வாங்கல",
    "கால் பண்ணாதீங்க",
    "కారు కొనట్లేదు",
    "ಕಾರ್ ತಗೊಳ್ತಿಲ್ಲ",
    "बिज़ी हूं",
    "nahi kahu",
    "சொல்ல மாட்டேன்",
    "తర్వాత ఫోన్ చేయండి",
    "ಆಮೇಲೆ ಫೋನ್ ಮಾಡಿ",
    "ગાડી નથી લેવી",
    "ਗੱਡੀ ਨਹੀਂ ਲੈਣੀ",
]
NAMES = [
    ("rahul from pune", "Rahul"),
    ("ravi kumar from bangalore", "Ravi Kumar"),
    ("main rahul pune se", "Rahul"),
    ("ravi bangalore se", "Ravi"),
    ("main delhi se ravi", "Ravi"),
    ("naan ravi chennai la irundhu", "Ravi"),
    ("rahul naam hai", "Rahul"),
    ("rahul bolte hain", "Rahul"),
    ("mujhe rahul kehte hain", "Rahul"),
    ("rahul is my name", "Rahul"),
    ("hu ravi", "Ravi"),
    ("ravi bol reha haan", "Ravi"),
    ("నా పేరు రవి కుమార్ అండి", "రవి కుమార్"),
    ("ನನ್ನ ಹೆಸರು ರವಿ ಕುಮಾರ್ ಅಂತ", "ರವಿ ಕುಮಾರ್"),
    ("ரவி என் பெயர்", "ரவி"),
    ("ராம்", "ராம்"),
    ("ओम", "ओम"),
    ("r k sharma", "R K Sharma"),
    # "this side X", a name quoted ("karthik nu sollunga", "srinivas ani pilustaru"), dictated ("likh lo anil",
    # "note down priya"), "X naam che".
    ("this side anil", "Anil"),
    ("karthik nu sollunga", "Karthik"),
    ("srinivas ani pilustaru", "Srinivas"),
    ("manjunath heli", "Manjunath"),
    ("bhavesh naam che", "Bhavesh"),
    ("you can note priya nair", "Priya Nair"),
    ("note down priya", "Priya"),
    ("ji likhiye anil kumar", "Anil Kumar"),
    ("likh lo anil", "Anil"),
    # A postposition of one language is a word of another: Telugu "maa" (our) never takes the name with it.
    ("naa peru ravi maa ooru guntur", "Ravi"),
    ("hu ketan surat thi", "Ketan"),
    ("j kumar", "J Kumar"),
    # Honorifics after a bare name, in every script.
    ("રવિ ભાઈ", "રવિ"),
    ("હેતલ બેન", "હેતલ"),
    ("रवि भाई", "रवि"),
    ("रवि साहब", "रवि"),
    ("ravi anna", "Ravi"),
    ("ravi avre", "Ravi"),
    ("ravi paaji", "Ravi"),
    ("ਰਵੀ ਪਾਜੀ", "ਰਵੀ"),
    ("naan r karthik", "R Karthik"),
]
# Yes to a read-back, in every language, including the sounds and "that one".
AFFIRMATIONS = [
    "ಹಾಂ",
    "ఆ",
    "హా అదే",
    "hmm",
    "mm hmm",
    "uh huh",
    "ਬਿਲਕੁਲ",
    "அதே தான்",
    "adhe",
    "haan wahi",
    "वही",
    "ਹਾਂ ਓਹੀ",
    "હા એ જ",
]


@pytest.mark.parametrize("text", NOT_NAMES)
def test_never_a_name_where_one_is_asked(text: str) -> None:
    assert DIALOGUE.names.customer_name(Text(text), expected=True, first_words=True) is None


@pytest.mark.parametrize(("text", "name"), NAMES)
def test_the_name_without_places_and_fillers(text: str, name: str) -> None:
    assert DIALOGUE.names.customer_name(Text(text), expected=True, first_words=False) == name


@pytest.mark.parametrize("text", AFFIRMATIONS)
def test_yes_to_a_read_back(text: str) -> None:
    assert affirms(Text(text), BOOK)


@pytest.mark.parametrize(
    ("word", "sound"),
    [
        *[("hmm", True), ("mhm", True), ("ம்ம்", True), ("హ్మ్", True), ("ஆ", True), ("आँ", True)],
        *[("r", False), ("om", False), ("ராம்", False), ("ஜெய்", False), ("ஆம்", False), ("क्ष", False), ("ఓం", False)],
    ],
)
def test_a_sound_is_told_from_a_word(word: str, sound: bool) -> None:
    assert is_sound(word) == sound


# Network, IVR and voicemail messages as each operator words them: the subscriber or person "you are
# calling" in every script and romanized, "not responding", "try after some time", "check the number".
IVR = [
    "please try after some time",
    "please check the number and dial again",
    "the subscriber cannot be reached",
    "call cannot be completed as dialled",
    "the vodafone subscriber you are calling is not responding",
    "जिस नंबर पर आप संपर्क करना चाहते हैं वह अभी बंद है",
    "कृपया कुछ समय बाद प्रयास करें",
    "नेटवर्क व्यस्त है",
    "kripya thodi der baad call karein",
    "yeh number maujood nahi hai",
    "aap jis vyakti ko call kar rahe hain vah abhi uttar nahi de rahe hain",
    "जिस व्यक्ति को आप कॉल कर रहे हैं वह जवाब नहीं दे रहे हैं",
    "कृपया नंबर जांच कर दोबारा डायल करें",
    "मोबाइल बंद है",
    "number switch off aa raha hai",
    "நீங்கள் அழைக்கும் வாடிக்கையாளர் தற்போது பிஸியாக உள்ளார்",
    "neenga azhaikkum number ippothu switch off seiyapattullathu",
    "தற்போது பதில் அளிக்கவில்லை",
    "சிறிது நேரம் கழித்து அழைக்கவும்",
    "ప్రస్తుతం స్పందించడం లేదు",
    "కవరేజ్ ప్రాంతానికి వెలుపల ఉన్నారు",
    "meeru call chestunna number switch off lo undi",
    "దయచేసి కొంత సమయం తర్వాత ప్రయత్నించండి",
    "ఈ నంబర్ ప్రస్తుతం బిజీగా ఉంది",
    "ನೀವು ಕರೆ ಮಾಡುತ್ತಿರುವ ಸಂಖ್ಯೆ ಬ್ಯುಸಿ ಆಗಿದೆ",
    "ದಯವಿಟ್ಟು ಸ್ವಲ್ಪ ಸಮಯದ ನಂತರ ಪ್ರಯತ್ನಿಸಿ",
    "neevu call maadida number switch off aagide",
    "ನೀವು ಕರೆ ಮಾಡಿದ ಚಂದಾದಾರರು ಪ್ರತಿಕ್ರಿಯಿಸುತ್ತಿಲ್ಲ",
    "આપ જે નંબર પર ફોન કરી રહ્યા છો તે બંધ છે",
    "કૃપા કરીને થોડા સમય પછી પ્રયાસ કરો",
    "tame je number par call karyo che te halma band che",
    "tame je vyakti ne call kari rahya cho te javab aapta nathi",
    "ਕਿਰਪਾ ਕਰਕੇ ਕੁਝ ਸਮੇਂ ਬਾਅਦ ਕੋਸ਼ਿਸ਼ ਕਰੋ",
    "ਬੀਪ ਦੀ ਆਵਾਜ਼ ਤੋਂ ਬਾਅਦ ਆਪਣਾ ਸੁਨੇਹਾ ਰਿਕਾਰਡ ਕਰੋ",
    "ਤੁਸੀਂ ਜਿਸ ਨੰਬਰ ਤੇ ਕਾਲ ਕਰ ਰਹੇ ਹੋ ਉਹ ਇਸ ਸਮੇਂ ਜਵਾਬ ਨਹੀਂ ਦੇ ਰਿਹਾ",
    "Hey, you have reached Priya. Please leave your name and number and I will get back to you",
    "Hi this is Rahul, I cannot take your call right now",
    # The formal "please try later" of each language, and "not answering".
    "Please hang up and try again",
    "Sorry, all circuits are busy",
    "आप जिस नंबर को डायल कर रहे हैं वह कवरेज क्षेत्र से बाहर है",
    "कृपया बाद में प्रयास करें",
    "kripya baad mein prayas karein",
    "நீங்கள் அழைத்த நபர் பதிலளிக்கவில்லை",
    "దయచేసి కాసేపటి తర్వాత మళ్ళీ ప్రయత్నించండి",
    "ದಯವಿಟ್ಟು ಸ್ವಲ್ಪ ಸಮಯದ ನಂತರ ಮತ್ತೆ ಪ್ರಯತ್ನಿಸಿ",
    "કૃપા કરીને થોડી વાર પછી પ્રયત્ન કરો",
    "ਕਿਰਪਾ ਕਰਕੇ ਬਾਅਦ ਵਿੱਚ ਕੋਸ਼ਿਸ਼ ਕਰੋ",
    "tame jene call karyo che te number band che",
    "tusi jihnu call kar rahe ho oh jawab nahi de rehe",
]
# A customer speaking about their line is not a recording.
NOT_IVR = [
    "i am busy right now call later",
    "network problem hai",
    "awaaz nahi aa rahi",
    "hello hello",
    "please call after some time",
    "aap baad mein call kijiye",
    "appuram call pannunga",
    "sorry wrong number",
    "send me a message",
]


@pytest.mark.parametrize("text", IVR)
def test_a_recorded_message_in_every_script(text: str) -> None:
    assert is_ivr(Text(text), BOOK)


@pytest.mark.parametrize("text", NOT_IVR)
def test_the_customer_talking_about_the_line(text: str) -> None:
    assert not is_ivr(Text(text), BOOK)


# What an agent line asks, given the field asked before it. Closings in every language and what the agent
# says it will do ("we will share the brochure on your email") ask for nothing; the name of something else
# ("the name of your city") is not the customer's name; a car's name asks for the model, in any word order
# and glued forms ("ગાડીનું નામ", "ಕಾರಿನ ಹೆಸರೇನು"); the car owned now is not the car wanted; "what did you say?"
# and "could you spell that?" ask again.
AGENT_LINES = [
    ("We will share the brochure on your email. Have a nice day!", E, ()),
    ("Thank you Rahul, we will share the details of the Creta on your email id. Have a nice day!", E, ()),
    ("Sorry, the line is not clear. We'll try you again tomorrow.", N, ()),
    ("We'll get back to you soon.", M, ()),
    ("Koi baat nahi, hum aapse baad mein sampark karenge.", N, ()),
    ("Hamari team aapse jald hi sampark karegi. Dhanyavaad!", M, ()),
    ("Sari, ungalukku piragu call panrom.", N, ()),
    ("Sare andi, nenu malli call chestanu.", E, ()),
    ("Sari sir, naavu aamele call maadtivi.", M, ()),
    ("Saru, ame tamne pachhi phone karishu.", N, ()),
    ("Theek hai ji, assi tuhanu baad ch phone karange.", N, ()),
    ("Car ka kya naam hai?", None, (M,)),
    ("ગાડીનું નામ શું છે?", None, (M,)),
    ("ಕಾರಿನ ಹೆಸರೇನು?", None, (M,)),
    ("Which variant's name do you have in mind?", None, (M,)),
    ("What's the name of your city?", None, ()),
    ("Do you know the name of the dealership near you?", None, ()),
    ("Aapke sheher ka naam kya hai?", None, ()),
    ("Ippo neenga endha car use panreenga?", None, ()),
    ("Meeru ippudu ye car vaadutunnaru?", None, ()),
    ("What car do you drive at the moment?", None, ()),
    ("Aap abhi kaun si car use karte hain?", None, ()),
    ("Whom do I have the pleasure of speaking with?", None, (N,)),
    ("Unga per enna?", None, (N,)),
    ("Kya kaha aapne?", N, (N,)),
    ("Enu? Gottagalilla.", N, (N,)),
    ("Shu kahyu? Samjayu nahi.", N, (N,)),
    ("Ki keha? Samajh nahi aaya.", N, (N,)),
    ("Could you spell that for me?", N, (N,)),
    ("Spell it please?", E, (E,)),
    # The name of a town, village or showroom, and "its name" for a car named in the sentence.
    ("Tamara gaam nu naam shu che?", None, ()),
    ("ગામનું નામ શું છે?", None, ()),
    ("Tuhade pind da naam ki hai ji?", None, ()),
    ("Neenga endha ooru, ooru peru sollunga?", None, ()),
    ("ஊர் பெயர் என்ன?", None, ()),
    ("Mee ooru peru enti andi?", None, ()),
    ("Aa showroom peru gurthunda?", None, ()),
    ("Nimma ooru hesaru enu?", None, ()),
    ("ಊರಿನ ಹೆಸರು ಏನು?", None, ()),
    ("Mohit ji, aap jo gaadi lena chahte hain uska naam bata dijiye?", N, (M,)),
    ("તમને જે ગાડી જોઈએ છે એનું નામ જણાવશો?", N, (M,)),
    ("Baljit ji, jehdi gaddi chahidi us da naam dasso?", N, (M,)),
    ("Atyare tame kayi gaadi chalavo cho, enu naam?", N, ()),
    # A make stands for its cars; "which of the two?" asks for the model.
    ("Which Mahindra are you interested in?", N, (M,)),
    ("Aapko kaunsi Maruti chahiye?", N, (M,)),
    ("दोनों में से कौन सी पक्की है?", M, (M,)),
    ("Which one of the two would you prefer?", M, (M,)),
    # Apologies for the customer's time, and the agent's own "I will call" at any time, ask nothing.
    ("Barabar. Maaf karjo tamne vadhare samay lidho.", E, ()),
    ("ਮਾਫ਼ ਕਰਨਾ ਤੁਹਾਨੂੰ ਤੰਗ ਕੀਤਾ, ਮੈਂ ਸ਼ਾਮ ਨੂੰ ਫੋਨ ਕਰਾਂਗੀ। ਧੰਨਵਾਦ।", N, ()),
    ("Sorry for taking so much of your time.", E, ()),
    ("Main aapko shaam ko call karungi.", N, ()),
    ("Naan saayangalam call panren.", N, ()),
    ("Tamaro email id aapsho to brochure mokli daiye.", None, (E,)),
    # The agent's own name asks for nothing.
    ("Namaste, mera naam Priya hai, kya aapke paas do minute hain?", None, ()),
    ("Hi, my name is Priya from Tata Motors, is this a good time to talk?", None, ()),
    ("Vanakkam, en peyar Divya, ungalukku rendu nimisham irukka?", None, ()),
    ("Namaskaram, naa peru Deepika, meeku oka nimisham undaa?", None, ()),
    ("Namaskara, nanna hesaru Shruthi, nimage ondu nimisha ideya?", None, ()),
    ("Kem cho, maru naam Hetal che, tamari paase be minute che?", None, ()),
    ("Sat Sri Akal, mera naam Simran hai, ki tuhade kol do minute ne?", None, ()),
    ("My name is Priya. May I know your name?", None, (N,)),
]


@pytest.mark.parametrize(("text", "last_asked", "asks"), AGENT_LINES)
def test_what_an_agent_line_asks(text: str, last_asked: Field | None, asks: tuple[Field, ...]) -> None:
    assert DIALOGUE.acts.act(Text(text), text, last_asked).asks == asks


# Read-backs end with an honorific as often as not: "Balaji, correct-aa sir?", "sahi hai na ji?".
READBACKS = [
    ("Balaji, correct-aa sir?", "Balaji"),
    ("Rahul, sahi hai na ji?", "Rahul"),
    ("Madhavi, correct ah andi?", "Madhavi"),
    ("Jignesh, barabar ne bhai?", "Jignesh"),
    ("Priya, sari na madam?", "Priya"),
    ("Vikram, right sir?", "Vikram"),
]


@pytest.mark.parametrize(("text", "name"), READBACKS)
def test_a_read_back_with_an_honorific(text: str, name: str) -> None:
    assert DIALOGUE.acts.act(Text(text), text, N).readback == {N: name}


# In reply to the model question, a name split over words counts ("i twenty", "three x o"), but a number
# before a unit is a quantity ("a 4 seater"), and a number alone names no car ("panch", "five").
REPLIES_TO_THE_MODEL_QUESTION = [
    ("looking at the i twenty", "Hyundai i20"),
    ("three x o kavali andi", "Mahindra XUV 3XO"),
    ("i want a 4 seater something small", ""),
    ("thar rocks kavali five door", "Mahindra Thar Roxx"),
    ("five door", ""),
    ("city mein chalane ke liye chhoti gaadi chahiye", ""),
    ("i want something with a good punch and mileage", ""),
    # "seven double o" is 700; "xuv" and "ev" in every script; Punch in every script.
    ("xuv seven double o", "Mahindra XUV700"),
    ("ఎక్స్\u200cయూవీ 700", "Mahindra XUV700"),
    ("எக்ஸ்யூவி 700 வேணும்", "Mahindra XUV700"),
    ("ਐਕਸਯੂਵੀ 700", "Mahindra XUV700"),
    ("பஞ்ச்", "Tata Punch"),
    ("ಪಂಚ್ ಬೇಕು", "Tata Punch"),
    # Every script read as Devanagari: one Devanagari alias serves Gurmukhi, Gujarati, Telugu and Kannada.
    ("నెక్సాన్ కావాలి", "Tata Nexon"),
    ("హారియర్", "Tata Harrier"),
    ("ఇన్నోవా హైక్రాస్", "Toyota Innova Hycross"),
    ("క్రెటా ఎన్ లైన్", "Hyundai Creta N Line"),
    ("ಹ್ಯಾರಿಯರ್", "Tata Harrier"),
    ("ಸೆಲ್ಟೋಸ್", "Kia Seltos"),
    ("ಕುಶಾಕ್", "Skoda Kushaq"),
    ("હેરિયર", "Tata Harrier"),
    ("સિટી હાઇબ્રિડ", "Honda City Hybrid"),
    ("ਹੈਰੀਅਰ", "Tata Harrier"),
    ("ਸੈਲਟੋਸ", "Kia Seltos"),
    # Tamil has aliases of its own.
    ("ஹாரியர்", "Tata Harrier"),
    ("கிளான்சா", "Toyota Glanza"),
    ("இன்னோவா ஹைகிராஸ்", "Toyota Innova Hycross"),
]


@pytest.mark.parametrize(("text", "model"), REPLIES_TO_THE_MODEL_QUESTION)
def test_a_car_in_reply_to_the_model_question(text: str, model: str) -> None:
    assert (DIALOGUE.model_of_interest(text, False, set(), asked=True) or "") == model


# The car owned against the car wanted, either order: a relative's car ("my wife drives a Baleno", "papa ki
# Swift"), the car at home ("ghar mein", "veetla", "intlo", "maneli", "ghare", "saade ghar"), "pehle se",
# "exchange" before or after, and a "not" that belongs to the next clause ("Seltos, not Creta").
OWNED_AND_WANTED = [
    ("I want Creta, my wife drives a Baleno", "Hyundai Creta"),
    ("i want a fortuner, my dad has an innova", "Toyota Fortuner"),
    ("Looking for a Nexon. Got a Tiago already.", "Tata Nexon"),
    ("papa ki swift hai, mujhe creta chahiye", "Hyundai Creta"),
    ("nexon chahiye pehle se alto hai", "Tata Nexon"),
    ("क्रेटा चाहिए, घर में स्विफ्ट है", "Hyundai Creta"),
    ("एक्सचेंज में ऑल्टो देनी है, ब्रेज़ा लेनी है", "Maruti Suzuki Brezza"),
    ("creta venum, enga veetla swift irukku", "Hyundai Creta"),
    ("ennoda swift exchange panni creta vaanganum", "Hyundai Creta"),
    ("creta kavali, maa intlo swift undi", "Hyundai Creta"),
    ("swift exchange chesi creta konali", "Hyundai Creta"),
    ("creta beku, namma maneli swift ide", "Hyundai Creta"),
    ("swift exchange maadi creta tagobeku", "Hyundai Creta"),
    ("creta joie che, amara ghare swift che", "Hyundai Creta"),
    ("creta chahidi, saade ghar swift hai", "Hyundai Creta"),
    ("swift exchange karni hai te creta laini hai", "Hyundai Creta"),
    ("seltos, not creta", "Kia Seltos"),
    ("creta nahi, seltos", "Kia Seltos"),
    ("i want seltos, we sold our creta", "Kia Seltos"),
    ("i drive a swift", ""),
    ("brezza levi che, alto to che j", "Maruti Suzuki Brezza"),
    ("brezza, alto replace karni hai", "Maruti Suzuki Brezza"),
    ("i'm driving an i20 right now", ""),
]


@pytest.mark.parametrize(("text", "wanted"), OWNED_AND_WANTED)
def test_the_car_wanted_in_every_form(text: str, wanted: str) -> None:
    assert (DIALOGUE.model_of_interest(text, False, set()) or "") == wanted


# The agent saying it did not hear or understand, or asking again, in every language: "speak louder",
# "dohraiye", "konjam sathama pesunga", "swalpa jorage heli"; apologies that are not confusion stay out.
CONFUSED = [
    "Could you please speak a bit louder?",
    "Sorry, I missed your name.",
    "Excuse me?",
    "Kripya dohraiye.",
    "Zara zor se boliye.",
    "Konjam sathama pesunga.",
    "Konchem gattiga cheppandi.",
    "Ardham kaaledu.",
    "Swalpa jorage heli.",
    "Artha aagilla.",
    "Jara motethi bolo.",
    "Fari thi kaho.",
    "Thoda uchi bolo ji.",
]
NOT_CONFUSED = [
    "Sorry for calling at this time.",
    "Sorry, we don't have that model.",
    "Apologies for the wait.",
    "I understand.",
]


@pytest.mark.parametrize("text", CONFUSED)
def test_the_agent_did_not_understand(text: str) -> None:
    assert DIALOGUE.acts.act(Text(text), text, N).confused


@pytest.mark.parametrize("text", NOT_CONFUSED)
def test_an_apology_is_not_confusion(text: str) -> None:
    assert not DIALOGUE.acts.act(Text(text), text, N).confused


# An agent line reads back a car named in any script: the words meet the catalog as read in Devanagari.
@pytest.mark.parametrize("text", ["క్రెటా, కరెక్టేనా?", "ક્રેટા, બરાબર?", "ਕ੍ਰੇਟਾ, ਸਹੀ ਹੈ?", "ಕ್ರೆಟಾ, ಸರಿನಾ?"])
def test_a_model_read_back_in_every_script(text: str) -> None:
    assert DIALOGUE.acts.act(Text(text), text, M).readback == {M: "Hyundai Creta"}


# A customer's first words that say where or who they are, not their name ("main bahar hoon", "this is his
# wife speaking", "nenu vintunnanu", "hu j").
FIRST_WORDS = [
    "nenu interest ledu",
    "main bahar hoon",
    "i am outside",
    "this is his wife speaking",
    "main unki wife bol rahi hoon",
    "naan avar wife pesuren",
    "main sun raha hoon",
    "nenu vintunnanu",
    "naanu keltha iddini",
    "hu sambhdu chu",
    "main sun reha haan",
    "hu j",
    "నేను ఇప్పుడు బిజీ",
    "ನಾನು ಈಗ ಡ್ರೈವ್ ಮಾಡ್ತಿದ್ದೀನಿ",
    "मैं अभी मीटिंग में हूं",
    "who's speaking",
    "naane pesuren",
    "nene matladutunna",
    "ನಾನೇ ಮಾತಾಡ್ತಿದ್ದೀನಿ",
]


@pytest.mark.parametrize("text", FIRST_WORDS)
def test_first_words_that_name_nobody(text: str) -> None:
    assert DIALOGUE.names.customer_name(Text(text), expected=False, first_words=True) is None


# Read-backs of the name in every form: a tag ("is it Vivek?", "Vivek, okay?"), a question stating the name
# ("aapka naam Vivek hai?", "mee peru Vivek aa?", "tamaru naam Vivek che ne?"), a name before the tag
# ("Vivek Sharma, yahi naam hai na?"); none is an ask, and "naam kya hai?" / "naam shu che?" stay asks.
NAME_READBACKS = [
    ("Is it Vivek?", "Vivek"),
    ("I'll note Vivek Sharma, okay?", "Vivek Sharma"),
    ("Noted Vivek Sharma, is that fine?", "Vivek Sharma"),
    ("Aapka naam Vivek hai?", "Vivek"),
    ("Vivek ji, sahi naam hai na?", "Vivek"),
    ("Naam Vivek likh loon?", "Vivek"),
    ("आपका नाम विवेक है?", "विवेक"),
    ("Vivek Sharma, yahi naam hai na?", "Vivek Sharma"),
    ("Unga peyar Vivek-a?", "Vivek"),
    ("Unga peru Vivek thaane?", "Vivek"),
    ("Mee peru Vivek aa?", "Vivek"),
    ("మీ పేరు వివేక్ కదా?", "వివేక్"),
    ("ನಿಮ್ಮ ಹೆಸರು ವಿವೇಕ್ ಅಲ್ವಾ?", "ವಿವೇಕ್"),
    ("Tamaru naam Vivek che ne?", "Vivek"),
    ("તમારું નામ વિવેક છે ને?", "વિવેક"),
    ("Tuhada naam Vivek hai na?", "Vivek"),
    ("Vivek ji, sahi aa?", "Vivek"),
    ("ਤੁਹਾਡਾ ਨਾਮ ਵਿਵੇਕ ਹੈ ਨਾ?", "ਵਿਵੇਕ"),
]


@pytest.mark.parametrize(("text", "name"), NAME_READBACKS)
def test_a_name_read_back_in_every_form(text: str, name: str) -> None:
    act = DIALOGUE.acts.act(Text(text), text, N)
    assert (act.readback, act.asks) == ({N: name}, ())


@pytest.mark.parametrize(
    "text", ["Aapka naam kya hai?", "માફ કરશો, તમારું નામ સમજાયું નહીં. તમારું નામ શું છે?", "Mee peru enti?"]
)
def test_a_question_for_the_name_is_no_read_back(text: str) -> None:
    act = DIALOGUE.acts.act(Text(text), text, N)
    assert (act.readback, act.asks) == ({}, (N,))


# Tags that confirm any value: "thaane?", "kada?", "che ne?"; a request's softener ("janavo ne?") is none.
@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("Unga email rahul@gmail.com thaane?", E, "rahul@gmail.com"),
        ("Mee email rahul@gmail.com kada?", E, "rahul@gmail.com"),
        ("Tamaro email rahul@gmail.com che ne?", E, "rahul@gmail.com"),
        ("Creta thaane?", M, "Hyundai Creta"),
        ("Creta kada?", M, "Hyundai Creta"),
    ],
)
def test_a_confirming_tag_in_every_language(text: str, field: Field, value: str) -> None:
    assert DIALOGUE.acts.act(Text(text), text, field).readback == {field: value}


def test_a_softened_request_is_no_read_back() -> None:
    text = "તમારું નામ જણાવો ને?"
    assert DIALOGUE.acts.act(Text(text), text, N).asks == (N,)


# Questions for each field, in every script, in the forms the lists lacked.
@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("நீங்க யாரு பேசுறீங்க?", (N,)),
        ("તમારો મેઈલ આઈડી આપશો?", (E,)),
        ("ਤੁਹਾਡੀ ਮੇਲ ਆਈਡੀ ਦੱਸੋ", (E,)),
        ("आप किस गाड़ी में रुचि रखते हैं?", (M,)),
        ("And you are?", (N,)),
        ("Have you shortlisted any car?", (M,)),
        ("Which brand are you looking at?", (M,)),
    ],
)
def test_a_question_in_the_forms_the_lists_lacked(text: str, asks: tuple[Field, ...]) -> None:
    assert DIALOGUE.acts.act(Text(text), text, None).asks == asks


def test_cars_joined_by_or_are_a_choice_not_a_read_back() -> None:
    text = "Is it the Creta or the Seltos?"
    act = DIALOGUE.acts.act(Text(text), text, M)
    assert (act.asks, act.readback) == ((M,), {})


# A car's full name asks for the model ("gaadi ka poora naam", "car oda full peyar"); the name of the car
# owned now, or of the customer's company, asks for nothing.
@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("Gaadi ka poora naam bataiye, variant ke saath?", (M,)),
        ("Car oda full peyar sollunga?", (M,)),
        ("Car poorthi peru cheppandi?", (M,)),
        ("Car na puro naam kaho?", (M,)),
        ("And what is the name of your current car?", ()),
        ("Aapki purani gaadi ka naam kya hai?", ()),
        ("Please tell me the name of your company.", ()),
    ],
)
def test_a_car_name_and_other_names(text: str, asks: tuple[Field, ...]) -> None:
    assert DIALOGUE.acts.act(Text(text), text, None).asks == asks
