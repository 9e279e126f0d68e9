"""The phrases of the customer's side: asking for a person, saying no, saying yes to a read-back, in every
supported language. Syntax: see `phrases.py`; the rules that use them live in `acts.py`."""

from __future__ import annotations

from analysis.phrases import PhraseSet, word_set

# -- the customer asks for a person --------------------------------------------------------------------
_HUMAN = (
    "{dealer,dealership,agent,human,person,representative,executive,manager,salesperson,salesman,"
    "sales person,sales executive,sales team,real person,live person,live agent,human being,someone,somebody,"
    "operator,customer care,showroom,staff,advisor}"
)
_ARTICLE = "{a ,an ,the ,your ,some ,any ,a real ,a live ,}"
_HINDI_PEOPLE = "{dealer,agent,insaan,insan,aadmi,admi,banda,bande,manager,executive,showroom,kisi,human,person}"
_KARWA = "{karwa,karwao,karao,karwaiye,karvao,karvaiye,karaiye}"
HUMAN_REQUEST = PhraseSet(
    f"""
    {{talk,speak,chat}} {{to,with}} {_ARTICLE}{_HUMAN}
    {{talking,speaking}} {{to,with}} {_ARTICLE}{_HUMAN}
    connect me {{to,with}} {_ARTICLE}{_HUMAN}
    {{connect,transfer}} {{me,the call,my call,this call}} {{to,with}} {_ARTICLE}{_HUMAN}
    {{connect,transfer}} {{to,with}} {_ARTICLE}{_HUMAN}
    put me {{through ,}}to {_ARTICLE}{_HUMAN}
    {{human,real person,live agent,agent,dealer,representative}} please
    {_HINDI_PEOPLE} {{se,say,ko,}} {{baat,bat,connect,transfer}}
    kisi {{insaan,insan,aadmi,admi,bande}} se {{baat,bat}}
    baat {_KARWA} {{do ,dijiye ,}}{{dealer,agent,insaan,insan,kisi,manager}}
    {{डीलर,एजेंट,इंसान,इन्सान,आदमी,किसी,मैनेजर,शोरूम,व्यक्ति}} {{से ,को ,}}{{बात,कनेक्ट,ट्रांसफर}}
    किसी {{इंसान,इन्सान,आदमी,व्यक्ति}} से बात
    बात {{करवा,करवाओ,कराओ,करवाइए,कराइए,करवाइये}} {{दो ,दीजिए ,}}{{डीलर,एजेंट,इंसान,किसी}}
    {{dealer,agent,manushan,aal,aalu}} {{kitta,kuda,kooda,oda}} {{pesanum,pesa,pesu,pesunga,connect}}
    {{டீலர்*,ஏஜென்ட்*,மனுஷன்*,மனிதர்*,ஆள்*,ஆளு*}} {{கிட்ட ,கூட ,இடம் ,}}{{பேச*,கனெக்ட்*}}
    {{dealer,agent,manishi}} {{tho,to,toh}} {{matladali,matladatanu,matladistara,matladinchandi,connect}}
    {{డీలర్*,ఏజెంట్*,మనిషి*}} {{తో ,}}{{మాట్లాడ*,కనెక్ట్*}}
    {{dealer,agent,manushya}} {{jothe,jote,hatra,hathra}} {{maatadbeku,matadbeku,maatadisi,connect}}
    {{ಡೀಲರ್*,ಏಜೆಂಟ್*,ಮನುಷ್ಯ*}} {{ಜೊತೆ ,ಹತ್ರ ,}}{{ಮಾತನಾಡ*,ಮಾತಾಡ*,ಕನೆಕ್ಟ್*}}
    {{dealer,agent,manas,maanas,manus}} {{sathe,saathe,jode}} {{vaat,vat,connect}}
    {{ડીલર*,એજન્ટ*,માણસ*}} {{સાથે ,જોડે ,}}{{વાત,કનેક્ટ*}}
    {{dealer,agent,banda,bande,insaan}} {{naal,nal}} {{gal,gall,connect}}
    {{ਡੀਲਰ*,ਏਜੰਟ*,ਬੰਦੇ*,ਬੰਦਾ*,ਇਨਸਾਨ*}} {{ਨਾਲ ,}}{{ਗੱਲ,ਕਨੈਕਟ*}}
    """
)

# A negation in the same clause turns a request around: "I don't want to talk to a dealer".
NEGATION = PhraseSet("""
    {don't,dont,do not,not,never,no need,nahi,nahin,nhi,mat}
    {नहीं,नही,मत}
    {வேண்டாம்,vendam,venam}
    {వద్దు,vaddu}
    {ಬೇಡ,beda}
    {નથી,nathi,નહીં}
    {ਨਹੀਂ,ਨਹੀ}
""")

# -- the customer's reply to a read-back ---------------------------------------------------------------
AFFIRM_WORDS = word_set("""
    yes yeah yep yup ya yah yea haan han haa ha haanji hanji ji jee correct right sahi theek thik ok
    okay okey absolutely exactly bilkul sure perfect हाँ हां हा जी सही ठीक बिल्कुल बिलकुल aama aamaa aam
    ama amam ஆமா ஆம் ஆமாம் சரி sari seri correctu avunu avnu aunu అవును అవునండి సరే sare haudu houdu
    howdu ಹೌದು ಸರಿ હા હાં બરાબર barabar ਹਾਂ ਹਾਂਜੀ ਜੀ ਸਹੀ ਠੀਕ
""")
NEGATE_WORDS = word_set("""
    no nope nah not wrong incorrect nahi nahin nai galat नहीं नही गलत illa illai இல்லை இல்ல தப்பு thappu
    ledu ledhu kaadu kadu లేదు కాదు tappu alla ಇಲ್ಲ ಅಲ್ಲ ತಪ್ಪು nathi ના નહીં નહિ નથી ખોટું ਨਹੀਂ ਨਹੀ ਗਲਤ
    don't dont isn't isnt
""")
