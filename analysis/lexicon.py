"""The phrases that tell what an agent message does, in every supported language (English as spoken in
India, Hindi in Latin and Devanagari, Tamil, Telugu, Kannada, Gujarati, Punjabi in their scripts and
romanized). Syntax: see `phrases.py`. Lists are data; the rules that use them live in `acts.py`. The
customer's side is in `replies.py`."""

from __future__ import annotations

from analysis.phrases import PhraseSet

# -- what a question is about ---------------------------------------------------------------------------
NAME_KEYWORDS = PhraseSet("""
    name
    names
    naam
    nam
    नाम
    பெயர*
    பேர*
    peyar*
    peru
    పేర*
    hesaru
    ಹೆಸರ*
    નામ*
    ਨਾਮ*
    ਨਾਂ
    who am i {speaking,talking} {with,to}
    whom am i speaking {with,to}
    who is {this,speaking,on the line}
    who's {this,speaking}
    may i know who
    {kisse,kis se,kisase} baat
    {kaun,kon} bol {raha,rahe,rahi}
    {किससे,किस से} बात
    कौन बोल*
    யார் பேசு*
    ఎవరు మాట్లాడ*
    ಯಾರು {ಮಾತನಾಡ*,ಮಾತಾಡ*}
    કોણ બોલ*
    ਕੌਣ ਬੋਲ*
""")

# "the car's name", "company ka naam": the name keyword right after one of these is not the customer's name.
NOT_PERSON_NAME = PhraseSet("""
    {car,car's,model,model's,vehicle,gaadi,gadi,company,company's,brand,dealer,dealer's,showroom,variant} {ka ,ki ,ke ,}
    {कार,गाडी,मॉडल,कंपनी,डीलर,शोरूम} {का ,की ,के ,}
    {கார்,மாடல்,கம்பெனி}*
""")

MODEL_KEYWORDS = PhraseSet("""
    model
    models
    मॉडल
    मोडल
    माडल
    மாடல*
    మోడల*
    ಮಾಡೆಲ*
    ಮಾಡಲ್
    મોડલ*
    મોડેલ*
    ਮਾਡਲ*
""")

# Words for a car in general: they ask for the model only together with a CHOICE word ("which car",
# "kaunsi gaadi", "எந்த கார்"), so "am I speaking with the car owner?" asks nothing.
CAR_WORDS = PhraseSet("""
    car
    cars
    vehicle
    vehicles
    suv
    gaadi
    gadi
    gaari
    gaddi
    vandi
    गाडी
    गाडियां
    कार
    वाहन
    {கார்,காரை,காரு,காரில்,காருக்கு,கார்ல}
    வண்டி*
    కారు*
    కార్*
    వాహన*
    ಕಾರು*
    ಕಾರ್*
    ವಾಹನ*
    ગાડી*
    કાર
    ਕਾਰ
    ਗੱਡੀ*
""")
CHOICE = PhraseSet("""
    which
    what
    looking
    interested
    interest
    planning
    plan
    want
    buy
    purchase
    considering
    prefer
    like
    {kaun,kon} {sa,si,se}
    {kaunsa,kaunsi,kaunse,konsa,konsi,konse}
    {lena,leni,lene,lenge,chahiye,chahte,chahti,chahenge,pasand,dekh,kharid*}
    {endha,entha,ethu,edhu,vaanga*,venum,ye,konali,kavali,yaava,yavudu,beku,kayu,kayi,levi,leva,joie,joiye}
    {kihdi,kehdi,kihda,kehda,chahidi,chahida}
    {कौन,कौनसा,कौनसी,कौनसे}
    {लेना,लेनी,चाहिए,चाहते,चाहती,पसंद,देख,खरीद*}
    {எந்த,எது,வாங்க*,பார்க்*,விரும்ப*}
    {ఏ,ఏది,కొన*,కావాలి,చూస్తు*}
    {ಯಾವ,ಯಾವುದು,ಬೇಕು,ಖರೀದ*,ಕೊಳ್ಳ*}
    {કઈ,કયું,કયો,લેવી,લેવા,જોઈએ,ખરીદ*}
    {ਕਿਹੜਾ,ਕਿਹੜੀ,ਕਿਹੜੇ,ਲੈਣ*,ਚਾਹੀਦ*,ਖਰੀਦ*}
""")

EMAIL_KEYWORDS = PhraseSet("""
    email*
    e-mail*
    e mail*
    mail
    mail id
    mail address
    gmail {id,address}
    ईमेल*
    ई-मेल*
    ई मेल*
    इमेल*
    इ-मेल*
    मेल आईडी
    मेल id
    ஈமெயில*
    இமெயில*
    ஈ-மெயில*
    மின்னஞ்சல*
    மெயில*
    ఈమెయిల*
    ఇమెయిల*
    ఈ-మెయిల*
    మెయిల*
    ಇಮೇಲ*
    ಈಮೇಲ*
    ಇ-ಮೇಲ*
    ಮೇಲ್*
    ઈમેલ*
    ઇમેલ*
    ઇમેઇલ*
    ઈમેઈલ*
    ਈਮੇਲ*
    ਈ-ਮੇਲ*
    ਇਮੇਲ*
""")

# -- a sentence that asks or requests ------------------------------------------------------------------
INTERROGATIVE = PhraseSet("""
    what
    what's
    which
    who
    whom
    whose
    may i
    can i
    could i
    {can,could,would,will} you
    {do,did,are} you
    is it
    please
    kindly
    tell me
    let me know
    share
    provide
    give me
    spell
    say your
    mention
    {i,we} need your
    go ahead and
    kya
    {kaun,kon,kaunsa,kaunsi,konsa,konsi,kaunse,konse,kitna}
    {kaun,kon} {sa,si,se}
    {bataiye,bataaiye,bataie,bataye,batayen,bataen,batain,batao,bataiyega,batayenge,bataenge,bataoge}
    bata {do,de,dijiye,dijie,dein,sakte,sakti,denge}
    {boliye,boliyega,bolie,bolo}
    {dijiye,dijie,dijiyega}
    de {dijiye,sakte,sakti,denge}
    {likhwa*,likhva*}
    chahenge
    {sakte,sakti} hain
    क्या
    {कौन,कौनसा,कौनसी,कौनसे}
    कौन {सा,सी,से}
    {बताइए,बताइये,बताएं,बताएँ,बताओ,बताएंगे,बताएँगे,बताइएगा}
    बता {दीजिए,दीजिये,दें,सकते,सकती,देंगे}
    {बोलिए,बोलिये}
    {दीजिए,दीजिये}
    कृपया
    {सकते,सकती} {हैं,है}
    லிக்*
    என்ன*
    எந்த
    எது
    யார்
    சொல்லுங்க*
    சொல்ல முடியுமா
    சொல்றீங்களா
    கொடுங்க*
    தர முடியுமா
    {sollunga,sollungal,solunga,kudunga,enna,endha,entha,ethu,yaaru}
    solla mudiyuma
    {ఏమిటి,ఏంటి,ఏమి,ఏ,ఏది,ఎవరు,చెప్పండి,చెప్పగలరా,చెప్పు,ఇవ్వండి,పేరేంటి}
    {emiti,enti,cheppandi,ivvandi,evaru,edi}
    {ಏನು,ಯಾವ,ಯಾವುದು,ಯಾರು,ಹೇಳಿ,ಹೇಳ್ತೀರಾ,ಹೇಳುತ್ತೀರಾ,ಹೇಳಬಹುದಾ,ಕೊಡಿ,ಹೆಸರೇನು}
    {enu,yenu,yaava,heli,helri,kodi}
    {શું,કયું,કયો,કઈ,કઇ,કોણ,કહો,કહેશો,જણાવો,જણાવશો,આપો,આપશો}
    {shu,kayu,kayo,kaho,kahesho,janavo,aapo,apsho}
    {ਕੀ,ਕਿਹੜਾ,ਕਿਹੜੀ,ਕਿਹੜੇ,ਕੌਣ,ਦੱਸੋ,ਦੱਸੋਗੇ,ਦੱਸਣਾ,ਦਿਓ,ਦੱਸ}
    {kihda,kehda,kihdi,kehdi,dasso,daso,dassoge}
""")

# -- the agent did not understand, or asks again -------------------------------------------------------
# "again" words ask again only as a question or with a verb of speaking: "phir se boliye", not "phir se
# dhanyavaad" (thanks again) or "dobara call karenge" (we will call again).
_AGAIN = "{phir se,fir se,phirse,firse,dobara,dubara}"
_ONCE_MORE = "ek {baar,bar} {phir,fir,aur}"
_AGAIN_DEVANAGARI = "{फिर से,फिरसे,दोबारा,दुबारा,एक बार और,एक बार फिर}"
_ASK_AGAIN = f"""
    {_AGAIN} ?
    {_AGAIN} {{bol*,bata*,kah*,keh*,sun*,dohra*,repeat,likh*,spell}}
    {_ONCE_MORE} ?
    {_ONCE_MORE} {{bol*,bata*,kah*,keh*,sun*,dohra*,repeat,likh*,spell}}
    {_AGAIN_DEVANAGARI} ?
    {_AGAIN_DEVANAGARI} {{बोल*,बता*,कह*,कहि*,सुन*,दोहरा*,लिख*}}
"""
CONFUSION = PhraseSet(
    _ASK_AGAIN,
    """
    sorry ?
    sorry {what,come again}
    {i'm,i am} sorry ?
    pardon
    {didn't,couldn't,can't,cannot} {get,catch,understand,hear,follow}
    {didn't,couldn't,can't,cannot} quite {get,catch,understand,hear,follow}
    {did,could} not {quite ,}{get,catch,understand,hear,follow}
    {wasn't,was not} able to {get,catch,understand,hear,follow}
    {missed,lost} {that,it,you,what you said}
    not {clear,audible}
    unclear
    {say,tell} {that,it,this,me} again
    {please ,}say again
    {can,could,would,will} you {please ,}{repeat,say that again,say it again}
    {please,kindly} repeat
    repeat {that,it,please,again,once}
    one more time
    once more
    again ?
    come again
    what was that
    what did you say
    {i'm,i am} not sure i {understood,got,heard}
    {samajh,samjh,samaj,samjha,samjhi,samjhe} {nahi,nahin,nhi}
    {samajh,samjh} {mein,me} {nahi,nahin,nhi}
    {maaf,maf} {kijiye,kijie,kijiyega,karna,kariye,karein,karen}
    kshama {kijiye,karein,karen}
    {sunai,sunayi,suna} {nahi,nahin,nhi}
    sun nahi {paya,payi,paaya,paayi}
    {awaaz,aawaz,awaz,aawaaz} {nahi,nahin,nhi}
    {clear,saaf} {nahi,nahin,nhi}
    {समझ,समझा,समझी,समझे} {नहीं,नही}
    समझ में {नहीं,नही}
    माफ {कीजिए,कीजिये,कीजिएगा,करें,करना,करिए}
    माफी {चाहती,चाहता}
    क्षमा {करें,कीजिए,कीजिये}
    {सुनाई,आवाज} {नहीं,नही}
    {स्पष्ट,साफ} {नहीं,नही}
    மன்னிக்க*
    மன்னிச்சு*
    புரிய*
    {மீண்டும்,திரும்ப*} {?,சொல்*}
    இன்னொரு {முறை,தடவை}
    {கேட்கவில்லை,கேக்கல}
    {mannikkavum,mannichukonga,puriyala,puriyavillai,kekkala}
    meendum {?,sollunga,sollungal,solla}
    thirumba {sollunga,sollungal,solla}
    innoru {thadava,murai}
    క్షమించ*
    {అర్థం,అర్ధం} కాలే*
    {మళ్ళీ,మళ్లీ,ఇంకోసారి,ఇంకొకసారి} {?,చెప్ప*}
    వినిపించలేదు
    {kshaminchandi,vinipinchaledu}
    {malli,inkosari} {?,cheppandi,cheppu}
    {artham,ardham} kaledu
    ಕ್ಷಮಿಸಿ*
    ಅರ್ಥ {ಆಗಲಿಲ್ಲ,ಆಗ್ಲಿಲ್ಲ}
    {ಅರ್ಥವಾಗಲಿಲ್ಲ,ಕೇಳಿಸಲಿಲ್ಲ}
    {ಮತ್ತೆ,ಮತ್ತೊಮ್ಮೆ,ಇನ್ನೊಮ್ಮೆ} {?,ಹೇಳಿ*}
    {kshamisi,arthavagalilla}
    {matte,mattomme,innomme} {?,heli,helri}
    artha aagalilla
    માફ {કરશો,કરજો,કરો}
    {સમજાયું,સમજાયુ} {નહીં,નહિ}
    સમજ ન પડી
    સંભળાયું
    {ફરીથી,ફરી થી,ફરી,ફરી એકવાર} {?,કહો,કહેશો,જણાવો,બોલો}
    {maaf,maf} {karsho,karjo}
    {samjayu,samjaayu} {nahi,nahin}
    {farithi,fari} {?,kaho,bolo}
    ਮਾਫ {ਕਰਨਾ,ਕਰੋ,ਕਰਿਓ}
    ਸਮਝ {ਨਹੀਂ,ਨਹੀ}
    {ਦੁਬਾਰਾ,ਦੋਬਾਰਾ,ਫਿਰ ਤੋਂ,ਫੇਰ ਤੋਂ,ਇੱਕ ਵਾਰ ਹੋਰ} {?,ਦੱਸ*,ਬੋਲ*,ਕਹਿ*}
    {ਸੁਣਿਆ,ਸੁਣਾਈ} {ਨਹੀਂ,ਨਹੀ}
    {dubara,fir ton,pher ton,ikk vaar hor,ik vaar hor} {?,dasso,daso,bolo}
""",
)

# -- a read-back: the agent states a value and seeks confirmation --------------------------------------
READBACK = PhraseSet("""
    {just ,}to confirm
    {let me,i'd like to,i would like to,just} confirm
    {just ,}confirming
    is {that,this,it} {correct,right,ok,okay}
    {that's,that is} {correct,right} ?
    correct ?
    right ?
    yes ?
    isn't it ?
    {did,have,do} i {get,got,have} {that,it} right
    am i right
    {am i,i am} {speaking,talking} {with,to}
    is this {mr,mrs,ms,miss}
    {sahi,theek,thik} {hai,h} {?,na,naa,ne}
    {sahi,correct} ?
    hai {na,naa} ?
    {na,naa} ?
    {सही,ठीक} है {?,ना,न}
    सही ?
    है {ना,न} ?
    {ना,न} ?
    {कन्फर्म,पुष्टि}
    {சரியா,சரிதானே,கரெக்டா,கரெக்ட்டா}
    சரி {தானே,தான}
    {sariya,correcta,correctaa}
    sari {thaane,thane}
    {సరైనదేనా,సరేనా,కరెక్టేనా,కరెక్టా,సరియేనా}
    కదా ?
    {sarena,correctena}
    {ಸರಿನಾ,ಸರಿಯೇ,ಸರೀನಾ,ಕರೆಕ್ಟಾ}
    ಸರಿ {ತಾನೆ,ತಾನೇ}
    ಅಲ್ವಾ ?
    {sarina,sariye}
    બરાબર {છે ?,ને,?}
    સાચું {છે ?,ને}
    barabar {che ?,ne}
    ਸਹੀ {ਹੈ ?,ਹੈ ਨਾ,?}
    ਠੀਕ ਹੈ ਨਾ
""")

# -- a nudge keeps the conversation where it was -------------------------------------------------------
NUDGE = PhraseSet("""
    are you {still ,}{there,on the line,with me}
    can you hear me
    you there
    {hello,hey,hi,helo,hallo}
    aap {mujhe ,}sun {rahe,rahi}
    kya aap {line par,sun rahe}
    {awaaz,aawaz} aa rahi
    क्या आप {मुझे ,}सुन
    आप {लाइन पर,सुन रहे}
    {हेलो,हैलो,हलो}
    आवाज आ रही
    {கேக்குதா,கேட்கிறதா,ஹலோ}
    லைன்ல இருக்கீங்களா
    {వినిపిస్తుందా,హలో}
    లైన్ లో ఉన్నారా
    {ಕೇಳಿಸ್ತಾ,ಕೇಳಿಸುತ್ತಿದೆಯಾ,ಹಲೋ}
    સંભળાય છે
    {હેલો,હલો}
    ਸੁਣ ਰਹੇ
    ਹੈਲੋ
    ਆਵਾਜ ਆ ਰਹੀ
""")
