"""Which language the customer spoke, from the words of their messages.

Every word scores on its own (spec: "score per word"):

- A word in a native script scores 1 for the language of its Unicode block (Devanagari counts as
  hindi, Gurmukhi as punjabi).
- A romanized word scores 1 for every language whose word list holds it. Words shared by related
  Indian languages ("illa": tamil and kannada; "haan", "nahi": hindi and punjabi) count for EACH of
  them: between the sharing languages they cancel out and the distinctive words decide, while
  against every other language they are real evidence. Counting them for neither would throw that
  away, and a lone "illa" would then fall through to the hindi default, the one answer it rules out.
- A romanized word that is also an English word ("to", "do", "me", "hi", "ya") counts for NEITHER:
  the spelling cannot tell which reading was meant, and that is the very question. The lists keep
  such a word only where both readings are common; a word whose English reading is rare in speech
  ("main", "emi") simply is not in the English list.
- English function words and verbs score 1. Interjections and nouns that every Indian language has
  borrowed ("ok", "yes", "sir", "car", "price") score 0.5, so "yes sir, en peru Muthu" stays tamil.
- A few fixed phrases ("mera naam", "naa peru", "ki haal") add 1 to their language on top of their
  words, because together they pick one language out of a group that shares the single words.

No signal: email and URL words ("at", "dot", "com", "gmail", "एट", "डॉट"), whole addresses, runs of
spelled single letters ("r a h u l"), anything with a digit, and any word `ignore(word)` accepts
(personal names, car names). `ignore` is called with the lower-cased word, only for words that
would otherwise score.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

LANGUAGES = ("english", "hindi", "tamil", "telugu", "kannada", "gujarati", "punjabi")

_BORROWED_WEIGHT = 0.5
_PHRASE_BONUS = 1.0

_ENGLISH = """
a about above after again against all also am an and another any anybody anyone anything anyway are
around as ask asked asking at be because been before being below between both but by can cannot could
did didn didn't didnt do does doesn doesn't doesnt doing don don't dont done down during each either else
even every everything few for from further get gets getting give given go goes going gone got had
has hasn hasn't have haven haven't having he her here hers herself him himself his how however i i'd
i'll i'm i've if im in into is isn isn't isnt it it's its itself just know knew let let's lets like
looking look many may maybe me might mine more most much must my myself need needs neither never nor
not nothing now of off often on once one only or other others our ours ourselves out over own
please rather really said say saying says see seen shall she should shouldn since so some somebody
someone something sometime still such tell telling than that that's thats the their theirs them
themselves then there these they they're thing things think this those though through till to too
towards under until up upon us very want wanted wanting was wasn wasn't we we'll we're were what
what's whats when where whether which while who whom whose why will with within without won't would
wouldn you you'll you're your yours yourself yourselves
speak speaking talk talking call calling called spell spelling repeat understand understood listen
hear heard wait send sent write tell buy buying purchase interested looking searching planning
plan thinking right correct wrong sure exactly already actually basically kindly itself
name surname full first last good great nice fine better best same different new old next previous
today tomorrow yesterday morning evening night week month year later soon time minute second moment
two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred
thousand double triple
"""

# Borrowed into every Indian language: weak evidence for English.
_ENGLISH_BORROWED = """
ok okay okk yes yeah ya yep yup no nope hi sir sirji madam mam maam ma'am hello hey please pls plz thanks
thank sorry bye welcome fine number mobile phone car cars vehicle model showroom dealer dealership
booking book price budget loan finance exchange test drive petrol diesel cng electric automatic
manual colour color white black red blue grey gray silver variant brochure details confirm confirmed
office busy free sunroof family
"""

_ROMANIZED = {
    "hindi": """
        haan haa haanji haanjee ji jee nahi nahin nai hai hain hoon hun hu tha thi ho hota hoti
        kya kyun kyon kyu kaun kaise kab kahan kidhar kitna kitni kitne aap aapka aapki aapke aapko
        mera meri mere mujhe mujhko main me mein hum humko humara hamara hamari tum tumhara tumhe
        woh wo yeh ye naam chahiye chaiye chahie chahiyen karna karni karo kariye kijiye boliye bolo
        bolna bataiye batao bataye theek thik accha acha achha achchha bhai bhaiya bhaiyya sahab
        sahi galat abhi baad pehle phir fir dobara samjha samjhi samajh samjhe samjhaiye baat suniye
        suno sunna gaadi gadi lena leni lene lenge dena dekhna dekhni dekhenge chalo chaliye raha rahi
        rahe sakta sakte sakti diya liya kar ke ka ki ko se to toh do de hi lekin aur ya bhi na mat bas
        bahut bohot zyada jyada kam kuch koi sab zaroor jaroor shukriya dhanyavaad dhanyawad namaste
        kal aaj wala wali waale matlab yaar arre arey haal ek teen char paanch saat aath nau das sau
        hazaar lakh batana bataunga bolta bolti hoga hogi kaunsi konsi kaunsa konsa mujhse aapse
        apna apni apne inka unka iska uska yahan wahan idhar udhar jaise waise paise rupaye
        """,
    "punjabi": """
        haan haanji ji jee nahi nai naa naam mera meri mere hai hain tusi tussi tuhada tuhadi tuhade
        tuhanu tuhaanu twada sanu saanu mainu menu tenu chahida chahidi chaida chaidi kiddan kidda
        kida ki haal hega hegi haige dasso daso dassna dassdo gal gall changa changi vadiya vadhiya
        sohna ethe othe kithe kive kiven hun hunn ohna ehna sat sri akal paaji veerji bhaji karo
        kardo karde karna lagda lagdi hoya hoyi si nu da di de ne gaddi lainni laini lena bhai
        """,
    "gujarati": """
        maru mari maro mara tamaru tamari tamaro tame tamne mane amne ame hu che chhe cho chho
        nathi naathi haa joie joiye joiae joye joiee joiye shu kem kevi kevu kevo majama maja saru
        saras barabar aavjo avjo kharu pan ane etle thai thay thashe karsho karo kaho bolo levi leva
        levani gaadi gadi ketla ketli ketlu kyare ahiya tya atyare hamna nai naam hatu hati chalo bhai
        ben
        """,
    "tamil": """
        enna yenna enga inga anga illa illai romba rombo venum venam vendam vendum sollunga sollu
        solunga peru peyar en enakku enaku enoda ennoda naan neenga ninga nee unga ungaloda aama
        aamaa amam seri sari vanakkam nandri irukku irukken iruku pannunga pannanum pannu theriyum
        theriyadhu theriyala therila vandi eppadi epdi ippo ippa appuram konjam paarunga kudunga
        ponga vaanga thaan dhaan mattum yaaru edhu ethu evlo evvalavu pesunga pesanum paakanum
        vaanganum solren sollren da
        """,
    "telugu": """
        cheppandi cheppu cheppanu chepthanu cheptha naa peru kavali kaavali kavalli kaavaali ledu
        ledhu avunu avnu aunu kaadu kadu emi enti endi ela elaa unnaru unnanu unnadi undi nenu
        meeru mee miru baagunnara bagunnara bagunnanu sare andi garu chala chaala koncham konchem
        kuda ippudu tarvata taruvata cheyandi cheyyandi vaddu evaru ekkada enduku entha pettandi
        telusu teliyadu naaku naku meeku miku bandi matladandi matladali vinandi ivvandi namaskaram
        randi ayyindi avuna
        """,
    "kannada": """
        nanna hesaru hesru beku bekku beda illa houdu haudu howdu swalpa solpa sari gottilla gotilla
        gottu en enu yenu yaava yavdu hege heli helri heliri nimma nimdu nimge nange nanage naanu
        nanu neevu maadi madi maadthini banni hogi ide idhe ivattu naale aaytu aythu aitu
        channagide thumba tumba baralla kodi kelsa yaake elli matte alli illi hosa namaskara
        dayavittu adu idu enri
        """,
}

_PHRASES = {
    ("mera", "naam"): "hindi",
    ("theek", "hai"): "hindi",
    ("mera", "naa"): "punjabi",
    ("ki", "haal"): "punjabi",
    ("sat", "sri"): "punjabi",
    ("maru", "naam"): "gujarati",
    ("kem", "cho"): "gujarati",
    ("en", "peru"): "tamil",
    ("en", "per"): "tamil",
    ("naa", "peru"): "telugu",
    ("nanna", "hesaru"): "kannada",
}


def _words(text: str) -> list[str]:
    return text.split()


# Words of spoken or written email addresses and URLs, in Latin and Devanagari.
_EMAIL_WORDS = frozenset(
    _words("""
    at dot com gmail gmailcom yahoo hotmail outlook rediffmail rediff ymail icloud protonmail email
    emailid mail id underscore hyphen dash rate www http https
    एट डोट डाट कोम जीमेल याहू रेट द अंडरस्कोर ईमेल इमेल मेल आईडी
    """)
)
# Top-level domains only count as email words right after "dot" ("gmail dot co dot in").
_EMAIL_PAIRS = frozenset(
    [("at", "the")]
    + [(dot, domain) for dot in ("dot", "डॉट", "डोट", "डाट") for domain in ("in", "co", "org", "net", "io")]
)

_ADDRESS = re.compile(r"\S+@\S+|https?://\S+|www\.\S+|\b[\w.-]+\.(?:com|in|org|net|co|io)\b", re.IGNORECASE)
_WORD = re.compile(r"(?:[^\W_]|[\u0900-\u0963\u0966-\u0d7f\u200c\u200d])+(?:['’](?:[^\W_])+)*")
_HAS_DIGIT = re.compile(r"\d")
# Devanagari spelling variants that ASR output mixes freely (nukta, candra o/e, candrabindu).
_DEVANAGARI_FOLD = str.maketrans(
    {
        "\u093c": None,
        "\u0949": "\u094b",
        "\u0945": "\u0947",
        "\u0901": "\u0902",
        "\u0911": "\u0913",
        "\u200c": None,
        "\u200d": None,
    }
)

# Unicode block (code point >> 7) -> language index. Bengali and Oriya blocks carry no signal.
_BLOCK_LANGUAGE = {
    0x0900 >> 7: LANGUAGES.index("hindi"),
    0x0A00 >> 7: LANGUAGES.index("punjabi"),
    0x0A80 >> 7: LANGUAGES.index("gujarati"),
    0x0B80 >> 7: LANGUAGES.index("tamil"),
    0x0C00 >> 7: LANGUAGES.index("telugu"),
    0x0C80 >> 7: LANGUAGES.index("kannada"),
}


def _build_word_scores() -> dict[str, tuple[tuple[int, float], ...]]:
    by_word: dict[str, dict[int, float]] = {}
    english = LANGUAGES.index("english")
    for weight, text in ((1.0, _ENGLISH), (_BORROWED_WEIGHT, _ENGLISH_BORROWED)):
        for word in text.split():
            by_word.setdefault(word, {})[english] = weight
    for language, text in _ROMANIZED.items():
        for word in text.split():
            by_word.setdefault(word, {})[LANGUAGES.index(language)] = 1.0
    scores = {}
    for word, weights in by_word.items():
        if word in _EMAIL_WORDS or (english in weights and len(weights) > 1):
            continue  # an email word, or an English homograph that counts for neither (module docstring)
        scores[word] = tuple(weights.items())
    return scores


_WORD_SCORES = _build_word_scores()
_PHRASE_SCORES = {pair: LANGUAGES.index(language) for pair, language in _PHRASES.items()}
_PHRASE_STARTS = frozenset(first for first, _ in _PHRASES)

COMMON_WORDS: frozenset[str] = frozenset(
    word for text in (_ENGLISH, _ENGLISH_BORROWED, *_ROMANIZED.values()) for word in text.split()
)
"""Every word the lists above know, homographs included. The model matcher never takes one of these
for a misspelt car name."""


def language_scores(text: str, ignore: Callable[[str], bool] | None = None) -> dict[str, float]:
    """Per-word language signal of one customer message. `ignore(word)` returns True for words that carry no
    signal (names, car names); email/URL words and digits are ignored by the module itself."""
    scores = [0.0] * len(LANGUAGES)
    if "@" in text or "." in text or "/" in text:
        text = _ADDRESS.sub(" ", text)
    words = _WORD.findall(text.lower())
    last = len(words) - 1
    for position, word in enumerate(words):
        previous = words[position - 1] if position else ""
        weights = _WORD_SCORES.get(word)
        if weights is None:
            if word.isascii() or _HAS_DIGIT.search(word):
                continue
            block = _BLOCK_LANGUAGE.get(ord(word[0]) >> 7)
            if block is None or word.translate(_DEVANAGARI_FOLD) in _EMAIL_WORDS:
                continue
            weights = ((block, 1.0),)
        elif len(word) == 1 and (len(previous) == 1 or (position < last and len(words[position + 1]) == 1)):
            continue  # one of a run of spelled letters: "r a h u l"
        if word in _PHRASE_STARTS and position < last:
            phrase_language = _PHRASE_SCORES.get((word, words[position + 1]))
            if phrase_language is not None:
                scores[phrase_language] += _PHRASE_BONUS
        if (previous, word) in _EMAIL_PAIRS:
            continue
        if ignore is not None and ignore(word):
            continue
        for language, weight in weights:
            scores[language] += weight
    return dict(zip(LANGUAGES, scores, strict=True))


def detect_language(
    customer_texts: Sequence[str], default: str = "hindi", ignore: Callable[[str], bool] | None = None
) -> str:
    """The spec's rule: highest total score wins; ties go to the language of the latest message carrying a
    signal; no signal at all -> default.

    "Latest message carrying a signal" means a signal for one of the tied languages: walking back from
    the last message, the first one in which a tied language leads the others wins. If no message tells
    them apart (a lone "illa" is tamil and kannada alike), the default wins if it is among them, else
    the first of them in LANGUAGES order.
    """
    per_message = [language_scores(text, ignore) for text in customer_texts]
    totals = dict.fromkeys(LANGUAGES, 0.0)
    for scores in per_message:
        for language, score in scores.items():
            totals[language] += score
    best = max(totals.values())
    if best <= 0:
        return default
    tied = [language for language in LANGUAGES if totals[language] == best]
    for scores in reversed(per_message):
        if len(tied) == 1:
            break
        lead = max(scores[language] for language in tied)
        if lead > 0:
            tied = [language for language in tied if scores[language] == lead]
    if len(tied) == 1:
        return tied[0]
    return default if default in tied else tied[0]
