"""Words that are never (part of) a person's name, in every supported language.

A customer's reply to "what's your name?" counts as a name only up to the first of these words, so "yes",
"haan", "hello", "speaking", "busy", "I don't know", "abhi nahi", "enna?" never become names. Honorifics
that follow a name ("ji", "sir", "garu", "bhai", "ben") are here too, so "Amit ji" gives "Amit". Common
Indian given names and surnames that double as words ("Das", "Sri", "Raja") are deliberately absent.
"""

from __future__ import annotations

from analysis.phrases import word_set

_ENGLISH = """
a about above actually after again ago ahead all already also alright always am an and another any
anyone anything anyway are around as ask at available away back bad be because been before being
believe best better between bit book booking both bought brochure busy but buy buying by call called
calling calls can can't cannot car cars care caught clear come coming company confirm confirmed correct
could couldn't currently customer day dealer dealership dear details did didn't do does doesn't doing
don't done down drive driving each email else end enough evening even ever every exactly excuse fine
first for free friend from full get give go going gone good got great guess had has have haven't having
he hear heard hello help her here hey hi him his hold home how i i'd i'll i'm i've if im in information
interested into is isn't it it's its just kindly know later let like line listen listening little look
looking lot mail man may maybe me mean meeting mine minute minutes miss mister model moment more morning
most mr mrs ms much must my myself name need never new next nice night no nobody none not nothing now
number of off office oh ok okay old on once one only or other our out over owner perfect person phone dr shri shree smt
please pls plan planning price purchase put question quite rather ready real really reason right said
same say saying second see sell send share she should show sir sorry speak speaking spell still sure
surname take talk talking tell thank thanks that that's the their them then there these they thing
think thinking this those though through time to today tomorrow too tried try trying two uh um umm
understand understood until up us use used very wait want wanted wants was wasn't way we well were
what what's when where which while who whom whose why will with without won't work would wouldn't wow
wrong yeah yes yesterday yet you your yours yup
madam mam maam ma'am sirji boss bro brother sister uncle aunty auntie
yep nope nah hmm hmmm huh ah aha oops ha haha
"""

_HINDI_LATIN = """
haan han haa haanji hanji ji jee nahi nahin nai nhi na naa hai hain hoon hun hu tha thi the ho hota hoti
kya kyun kyon kyu kaun kon kaise kab kahan kidhar kitna kitni kitne aap aapka aapki aapke aapko apka
apki apko mera meri mere mujhe mujhko main mai me mein hum humko humara hamara hamari tum tumhara tumhe
woh wo yeh ye naam nam chahiye chaiye chahie karna karni karo kariye kijiye boliye bolo bolna bol raha
rahi rahe rha rhi bataiye batao bataye batana theek thik accha acha achha sahi galat abhi baad pehle
phir fir dobara samjha samjhi samajh samjhe baat suniye suno gaadi gadi lena leni dena dekhna chalo
chaliye sakta sakte sakti diya liya kar ke ka ki ko se to toh do lekin aur ya bhi mat bas bahut zyada
jyada kam kuch koi sab zaroor jaroor shukriya dhanyavaad dhanyawad namaste kal aaj wala wali matlab yaar
arre arey ek apna apni apne yahan wahan sahab saab sahib bhai bhaiya bhaisaab behen didi madamji
hamare hamara hamari humare humara humari unka unki inka inki uska uski
vyast time baar
"""

_INDIC_LATIN = """
enna yenna enga inga anga illa illai romba venum venam vendam sollunga sollu solunga peru per peyar en
enakku enoda ennoda naan nan neenga ninga nee unga aama aamaa amam seri sari vanakkam nandri irukku
pannunga theriyum theriyadhu theriyala therila ippo appuram konjam yaaru edhu ethu evlo pesunga pesuren
nga da di
cheppandi cheppu ledu ledhu avunu avnu aunu kaadu kadu emi enti endi ela unnaru nenu meeru mee miru
andi garu gaaru chala koncham ippudu tarvata vaddu evaru ekkada enduku entha telusu teliyadu naaku
namaskaram matladutunnanu
nanna hesaru hesru beku beda houdu haudu howdu swalpa solpa gottilla gotilla enu yenu yaava hege heli
nimma naanu nanu neevu maadi banni ide idhe channagide thumba tumba yaake elli matte namaskara anta
maatadtiddini
maru mari maro tamaru tamaro tame mane ame che chhe cho chho nathi shu kem kevi kevu majama saru barabar
aavjo kharu pan ane etle hatu hati ben bolu chu
tusi tussi tuhada tuhanu sanu mainu menu tenu chahida kiddan ki haal hega dasso gal gall changa vadiya
ethe othe kithe kive hunn paaji veerji
"""

_NATIVE = """
हाँ हां हा जी नहीं नही ना है हैं हूँ हूं था थी थे हो क्या क्यों कौन कैसे कब कहाँ कहां आप आपका आपकी आपके आपको
मेरा मेरी मेरे मुझे मैं में हम हमारा हमारी वो वह यह ये नाम चाहिए बोल बोलिए बोलो बोलिये रहा रही रहे बताइए बताओ
बताइये सुनिए सुनो ठीक अच्छा अच्छी सही गलत अभी बाद पहले फिर हेलो हैलो हलो सर मैडम भाई भैया साहब कुछ कोई बस
बहुत और या भी तो ही से को का की के एक दो व्यस्त बिजी समय धन्यवाद शुक्रिया नमस्ते गाड़ी गाडी कार ईमेल पता
मालूम जानकारी बात लाइन आवाज आवाज़ समझ मत कॉल फोन नंबर डीलर लेना देना करना करो कीजिए गया गई जरूर ज़रूर
बिल्कुल बिलकुल हम्म उम्म अरे अरी ओह छोड़िए छोड़ो रुकिए रुको सोचेंगे देखेंगे इंटरेस्टेड
ஆமா ஆம் ஆமாம் இல்லை இல்ல என்ன என் எனக்கு பெயர் பேர் பேரு நான் நீங்க நீங்கள் சரி ஹலோ சொல்லுங்க யாரு யார்
தெரியல தெரியாது புரியல வேண்டாம் வேணும் வணக்கம் நன்றி இப்போ அப்புறம் கொஞ்சம் சார் மேடம் பேசுறேன் பேசுகிறேன்
முதல்ல அது இது எது வந்து பண்ணல முடிவு டீலர் கிட்ட ம்ம் ஓகே
అవును లేదు ఏమిటి ఏంటి ఏమి నా పేరు నేను మీ మీరు సరే హలో అండి గారు ఎవరు చెప్పండి తెలియదు వద్దు నమస్కారం
సార్ ఇప్పుడు తర్వాత కాదు ఓకే
ಹೌದು ಇಲ್ಲ ಏನು ನನ್ನ ಹೆಸರು ನಾನು ನಿಮ್ಮ ಸರಿ ಹಲೋ ಯಾರು ಹೇಳಿ ಗೊತ್ತಿಲ್ಲ ಬೇಡ ಬೇಕು ನಮಸ್ಕಾರ ಸಾರ್ ಅಂತ ಈಗ ಆಮೇಲೆ
ಓಕೆ
હા હાં ના નથી શું મારું મારુ નામ છે છું હું હેલો બરાબર કોણ કહો આભાર નમસ્તે સર ભાઈ બેન ખબર પછી હમણાં
ਹਾਂ ਹਾਂਜੀ ਜੀ ਨਹੀਂ ਕੀ ਮੇਰਾ ਨਾਮ ਹੈ ਮੈਂ ਹੈਲੋ ਸਤ ਸ੍ਰੀ ਅਕਾਲ ਕੌਣ ਦੱਸੋ ਸਰ ਪਤਾ ਬਾਅਦ ਹਾਲੇ ਵਿੱਚ
"""

NOT_NAME_WORDS: frozenset[str] = frozenset(
    word for block in (_ENGLISH, _HINDI_LATIN, _INDIC_LATIN, _NATIVE) for word in block.split()
)

# Words that may open a reply before the name itself: "haan ji, Rahul", "yes sir it's Priya", "naam Amit".
LEADING_FILLERS: frozenset[str] = word_set("""
    yes yeah yep yup ya ok okay haan han haa haanji hanji ji jee hello hi hey sir madam mam so well uh
    um umm hmm no nahi nahin nope name naam nam mera my is it's its it this sure right correct sahi
    actually aama seri sari avunu sare houdu haudu haa barabar mr mrs ms miss shri shree smt ਹਾਂ ਜੀ हाँ
    हां जी हेलो नाम मेरा श्री ஆமா சரி ஹலோ అవును సరే హలో ಹೌದು ಸರಿ ಹಲೋ હા હેલો dr
    not illa illai ledu kaadu nathi namaste namaskar namaskaram namaskara vanakkam sat sri akal
    नहीं नमस्ते இல்லை வணக்கம் లేదు నమస్కారం ಇಲ್ಲ ನಮಸ್ಕಾರ ના નમસ્તે ਨਹੀਂ ਸਤ ਸ੍ਰੀ ਅਕਾਲ
""")

# Words that may close a bare reply after the name: "Rahul ji", "Priya here", "Ravi garu", "Rahul only".
TRAILING_FILLERS: frozenset[str] = word_set("""
    ji jee sir madam mam hai hain hoon hun hu here speaking only andi garu gaaru bhai ben behen saab sahab
    sahib nga che chhe da anta जी है हूँ हूं ங்க அண்ணா అండి గారు ಅಂತ ಅವರು છે ਜੀ ਹੈ
""")
