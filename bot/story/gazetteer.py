"""Names that outlets spell differently by language — countries (and their adjectives),
capitals and big cities, frequently named leaders and organisations — and a few news nouns
that carry an event across languages (drone, airport, missile), each mapped to one term:
"Peking", "Pékin", "Пекин" and "Beijing" all become ``beijing``.

Facts, not code.  Source: the article titles and the usual adjectives of the English,
German, French, Spanish and Russian Wikipedia editions for these places, people and
organisations (common knowledge, written down by hand); Russian forms are given as
``bot.match.fold`` transliterates Cyrillic ("Пекин" → ``pekin``), nominative only — the
case endings are generated (``~r``).  German adjectives are given by their stem (``~g``:
"russisch" → russisch, russische, russischer, russischen, russisches, russischem).  A
person's one-word Latin forms also get their German genitive (``xi`` → ``xis``: "Putin
und Kim an Xis Seite").  The matcher's fold drops umlauts ("Türkei" → ``turkei``), so a
German form is written both ways: as folded text reads (``turkei``) and as ASCII text
spells it (``tuerkei``).  A multi-word form is written with ``_`` ("kim_jong_un"); the
longest form wins.  An indented line continues the row above.

Rows are ``canonical kind: forms``; kinds ``l`` (a country or region), ``k`` (a city),
``p`` (a person) and ``o`` (an organisation) are names: weighed as names whatever their
frequency as words (so "Peru" is no common word), and two headlines that each name a
different one of the same kind that the other lacks (Xi / Kim, the Philippines / Hong
Kong) tell different events.  Kind ``c`` is a concept, weighed by the language frequency
of the canonical word."""

from __future__ import annotations

from typing import Final

TABLE: Final = """
beijing k: beijing peking pekin~r pekinu
moscow k: moscow moskau moscou moscu moskva~r
kyiv k: kyiv kiev kiew kyjiw kiev~r kieve kiyev
washington k: washington vashington~r
london k: london londres london~r
paris k: paris parizh~r
berlin k: berlin berlin~r
tokyo k: tokyo tokio tokio~r
delhi k: delhi new_delhi neu_delhi nouvelle_delhi nueva_delhi deli nyu_deli
tianjin k: tianjin tientsin tyantszin~r
shanghai k: shanghai schanghai shankhay
pyongyang k: pyongyang pjoengjang pkhenyan~r
seoul k: seoul seul~r
warsaw k: warsaw warschau varsovie varsovia varshava~r
copenhagen k: copenhagen kopenhagen copenhague kopengagen~r
oslo k: oslo
stockholm k: stockholm estocolmo stokgolm~r
helsinki k: helsinki khelsinki
brussels k: brussels bruessel brussel bruxelles bruselas bryussel~r
vienna k: vienna wien vienne viena vena
rome k: rome rom roma rim~r
madrid k: madrid madrid~r
lisbon k: lisbon lissabon lisbonne lisboa
athens k: athens athen athenes atenas afiny afinakh
geneva k: geneva genf geneve ginebra zheneva~r
munich k: munich muenchen munchen muenkhen
jerusalem k: jerusalem jerusalen ierusalim~r
telaviv k: tel_aviv
tehran k: tehran teheran teheran tegeran~r
kabul k: kabul kaboul kabul~r
islamabad k: islamabad
lahore k: lahore lakhor
baghdad k: baghdad bagdad bagdad~r
damascus k: damascus damaskus damas damasco damask~r
beirut k: beirut beyrouth beirut beyrut~r
cairo k: cairo kairo le_caire el_cairo kair~r
istanbul k: istanbul stambul~r
ankara k: ankara~r
riyadh k: riyadh riad er_riad
doha k: doha
dubai k: dubai dubay
hongkong l: hong_kong hongkong gonkong~r
taipei k: taipei taipeh taibei taybey
bangkok k: bangkok bangkok~r
jakarta k: jakarta djakarta dzhakarta~r
manila k: manila manille
hanoi k: hanoi khanoy
newyork k: new_york nueva_york nyu_york
brasilia k: brasilia braziliya
buenosaires k: buenos_aires buenos_ayres
mexicocity k: mexico_city ciudad_de_mexico mexiko_stadt
caracas k: caracas karakas
kursk k: kursk kursk~r
kharkiv k: kharkiv kharkov charkiw kharkov~r kharkove
odesa k: odesa odessa odessa~r
lviv k: lviv lvov lemberg lwiw lviv~r lvove lvova
donetsk k: donetsk donezk donetsk~r
crimea l: crimea krim crimee krym~r
bavaria l: bavaria bayern baviere baviera bavariya~r
danube l: danube donau danubio dunay~r
everest l: everest everest~r
tibet l: tibet tibet~r tibetan tibetisch~g tibetain tibetaine
china l: china chinese chinesisch~g chine chinois chinoise chinoises chino chinos kitay~r kitaya
    kitae kitayu kitayskiy kitayskaya kitayskie kitayskogo kitayskoy
russia l: russia russian russians russland russisch~g russe russes rusia ruso rusa rusos
    rossiya~r rossiyskiy rossiyskaya rossiyskie rossiyskogo rossiyskoy rf
usa l: usa united_states america american americans vereinigte_staaten amerika amerikanisch~g
    etats_unis americain americaine americains estados_unidos estadounidense ssha amerikanskiy
    amerikanskaya amerikanskie
ukraine l: ukraine ukrainian ukrainians ukrainisch~g ukrainien ukrainienne ukrainiens ucrania
    ucraniano ukraina~r ukrainskiy ukrainskaya ukrainskie ukrainskikh
germany l: germany german germans deutschland deutsch~g allemagne allemand allemande allemands
    alemania aleman alemana germaniya~r nemetskiy nemetskaya
france l: france french frankreich franzoesisch~g franzosisch~g francais francaise francia frances
    francesa
    frantsiya~r frantsuzskiy
britain l: britain british uk united_kingdom great_britain grossbritannien britisch~g
    royaume_uni britannique britanniques reino_unido britanico britanica velikobritaniya~r
    britanskiy britanskaya
japan l: japan japanese japanisch~g japon japonais japonaise japones japonesa yaponiya~r
    yaponskiy
india l: india indian indien indisch~g inde indienne indiya~r indiyskiy
northkorea l: north_korea north_korean nordkorea nordkoreanisch~g coree_du_nord nord_coreen
    nord_coreenne corea_del_norte norcoreano kndr severnaya_koreya severnoy_korei
    severokoreyskiy severokoreyskogo severokoreyskaya
southkorea l: south_korea south_korean suedkorea sudkorea suedkoreanisch~g sudkoreanisch~g
    coree_du_sud sud_coreen
    corea_del_sur surcoreano yuzhnaya_koreya yuzhnoy_korei
poland l: poland polish poles polen polnisch~g pologne polonais polonaise polonia polaco polaca
    polsha~r polskiy polskaya polskie
denmark l: denmark danish danes daenemark daenisch~g danisch~g danemark danois danoise dinamarca
    danes
    daniya~r datskiy datskaya
norway l: norway norwegian norwegen norwegisch~g norvege norvegien norvegienne noruega noruego
    norvegiya~r norvezhskiy
sweden l: sweden swedish schweden schwedisch~g suede suedois suecia sueco shvetsiya~r
finland l: finland finnish finnland finnisch~g finlande finlandais finlandia finlyandiya~r
afghanistan l: afghanistan afghan afghans afghanisch~g afghane afganistan afgano afgana
    afganistan~r afganskiy
pakistan l: pakistan pakistani pakistanisch~g pakistanais pakistanaise paquistan pakistan~r
    pakistanskiy
iran l: iran iranian iranisch~g iranien iranienne irani iran~r iranskiy
israel l: israel israeli israelis israelisch~g israelien israelienne israeli izrail~r izrailya
    izrailskiy
turkey l: turkey turkish tuerkei turkei tuerkisch~g turkisch~g turquie turc turque turquia turco
    turtsiya~r
    turkiye turetskiy
syria l: syria syrian syrien syrisch~g syrie syrien siria sirio siriya~r siriyskiy
gaza l: gaza gazastreifen gaza~r
greece l: greece greek griechenland griechisch~g grece grec grecque grecia griego griega
    gretsiya~r
italy l: italy italian italien italienisch~g italie italienne italia italiano italiana italiya~r
spain l: spain spanish spanien spanisch~g espagne espagnol espagnole espana espanol espanola
    ispaniya~r
switzerland l: switzerland swiss schweiz schweizer schweizerisch~g suisse suiza suizo
    shveytsariya~r
austria l: austria austrian oesterreich osterreich oesterreichisch~g osterreichisch~g autriche
    autrichien avstriya~r
netherlands l: netherlands dutch niederlande niederlaendisch~g niederlandisch~g pays_bas
    neerlandais paises_bajos
    niderlandy
belgium l: belgium belgian belgien belgisch~g belgique belge belgica belgiya~r
hungary l: hungary hungarian ungarn ungarisch~g hongrie hongrois hungria vengriya~r
belarus l: belarus belarusian belarussisch~g weissrussland bielorussie bielorrusia belorussiya~r
brazil l: brazil brazilian brasilien brasilianisch~g bresil bresilien brasil brasileno
    braziliya~r
argentina l: argentina argentine argentinian argentinien argentinisch~g argentin argentino
    argentina~r
mexico l: mexico mexican mexiko mexikanisch~g mexique mexicain mexicano meksika~r
peru l: peru peruvian peruanisch~g perou peruvien peruano peru~r
venezuela l: venezuela venezuelan venezolanisch~g venezuelien venezolano venesuela~r
canada l: canada canadian kanada kanadisch~g canadien canadienne kanada~r
australia l: australia australian australien australisch~g australie australiano avstraliya~r
egypt l: egypt egyptian aegypten agypten aegyptisch~g agyptisch~g egypte egyptien egipto egipcio
    egipet egipta
saudiarabia l: saudi saudi_arabia saudi_arabien saudisch~g arabie_saoudite saoudien arabia_saudi
    saudovskaya_araviya
qatar l: qatar katar qatari katar~r
lebanon l: lebanon lebanese libanon libanesisch~g liban libanais libano livan~r
iraq l: iraq iraqi irak irakisch~g irakien irak~r
nepal l: nepal nepalese nepali nepalesisch~g nepalais nepal~r
taiwan l: taiwan taiwanese taiwanisch~g taiwanais tayvan~r
indonesia l: indonesia indonesian indonesien indonesisch~g indonesie indonesio indoneziya~r
philippines l: philippines philippine filipino philippinen philippinisch~g filipinas filippiny
thailand l: thailand thai thailaendisch~g thailandisch~g thailande thailandais tailandia tailand~r
vietnam l: vietnam vietnamese vietnamesisch~g vietnamien vetnam~r
cambodia l: cambodia cambodian kambodscha kambodschanisch~g cambodge camboya kambodzha~r
myanmar l: myanmar burma myanmar~r
europe l: europe europa evropa~r
putin p: putin vladimir_putin wladimir_putin poutine vladimir_poutine putin~r putinym
    vladimir_putina vladimira_putina
xi p: xi xi_jinping si_tszinpin si_tszinpina si_tszinpinom si_tszinpinu
kim p: kim kim_jong_un kim_jong_il kim_chen_yn kim_chen_yna kim_chen_ynom kim_chen_ynu
    kim_dzhong_yn
trump p: trump donald_trump tramp~r donalda_trampa donald_tramp
zelensky p: zelensky zelenskyy zelenskiy zelenski selenskyj volodymyr_zelensky
    wolodymyr_selenskyj zelenskogo zelenskomu zelenskim vladimir_zelenskiy
macron p: macron emmanuel_macron makron~r
merz p: merz friedrich_merz merts~r
starmer p: starmer keir_starmer starmer~r
modi p: modi narendra_modi
erdogan p: erdogan recep_tayyip_erdogan erdogan~r
netanyahu p: netanyahu netanjahu benjamin_netanyahu netanyakhu
lavrov p: lavrov lawrow lavrov~r sergei_lavrov
rubio p: rubio marco_rubio
witkoff p: witkoff steve_witkoff uitkoff
lukashenko p: lukashenko lukaschenko loukachenko
vonderleyen p: von_der_leyen ursula_von_der_leyen fon_der_lyayen
tusk p: tusk donald_tusk tusk~r
meloni p: meloni giorgia_meloni
guterres p: guterres antonio_guterres guterresh
lula p: lula lula_da_silva
kremlin o: kremlin kreml kreml~r
nato o: nato otan
unitednations o: united_nations un_security_council vereinte_nationen nations_unies
    naciones_unidas oon
europeanunion o: european_union eu europaeische_union europaische_union union_europeenne ue
    union_europea
    evrosoyuz~r
sco o: sco shanghai_cooperation_organisation shanghai_cooperation_organization
    shanghaier_organisation_fuer_zusammenarbeit shanghaier_organisation_fur_zusammenarbeit ocs shos
fed o: fed federal_reserve us_fed
ecb o: ecb ezb bce european_central_bank europaeische_zentralbank europaische_zentralbank
imf o: imf iwf fmi mvf international_monetary_fund
opec o: opec opep opek
drone c: drone drones drohne drohnen dron drones bespilotnik bespilotniki bespilotnikov
    bespilotnikami bespilotnika bpla dronov drony
airport c: airport airports flughafen flughaefen aeroport aeroports aeropuerto aeroport~r
    aeroporty aeroportakh
missile c: missile missiles rakete raketen missil misiles raketa~r raket raketami
flight c: flight flights flug fluege fluge vol vols vuelo vuelos reys reysy reysov
train c: train trains zug zuege zuge fernzuege fernzuge poezd~r bronepoezd~r
election c: election elections wahl wahlen parlamentswahl elecciones vybory vyborakh
job c: job jobs stellen stellenabbau arbeitsplaetze arbeitsplatze emplois empleos rabochikh_mest
declaration c: declaration erklaerung erklarung declaracion deklaratsiya~r
pipeline c: pipeline gaspipeline gazoprovod~r gazoduc gasoducto
cyberattack c: cyberattack cyberattacks cyber_attack cyber_attacks hack hackers cyberangriff
    cyberangriffe hackerangriff cyberattaque cyberattaques ciberataque kiberataka~r
rate c: rate rates interest_rate interest_rates zins zinsen leitzins taux taux_directeur
    tipos tipo_de_interes stavka~r stavku klyuchevuyu_stavku
troops c: troops soldiers soldaten truppen soldats troupes tropas soldados voennye soldaty
"""


# whom a name stands for in headlines: a leader (or seat of power) and their country
# ("Putin thanks North Korean troops in talks with Kim": North Korea is Kim's side);
# canonical person or organisation -> canonical country
COUNTRY_OF: Final = {
    "putin": "russia",
    "lavrov": "russia",
    "kremlin": "russia",
    "xi": "china",
    "kim": "northkorea",
    "trump": "usa",
    "rubio": "usa",
    "witkoff": "usa",
    "zelensky": "ukraine",
    "macron": "france",
    "merz": "germany",
    "starmer": "britain",
    "modi": "india",
    "erdogan": "turkey",
    "netanyahu": "israel",
    "lukashenko": "belarus",
    "tusk": "poland",
    "meloni": "italy",
    "lula": "brazil",
}


def _russian(word: str) -> list[str]:
    """A transliterated Russian noun with its common case endings."""
    if word.endswith("iya"):
        stem = word[:-3]
        return [word, stem + "ii", stem + "iyu", stem + "iey"]
    if word.endswith("a"):
        stem = word[:-1]
        return [word] + [stem + e for e in ("y", "i", "e", "u", "oy", "oi")]
    if word.endswith("y"):
        stem = word[:-1]
        return [word] + [stem + e for e in ("ya", "e", "yu", "em")]
    return [word] + [word + e for e in ("a", "e", "u", "om", "y", "ym")]


def _forms(form: str) -> list[str]:
    if form.endswith("~r"):
        return _russian(form[:-2])
    if form.endswith("~g"):
        stem = form[:-2]
        return [stem + e for e in ("", "e", "er", "en", "es", "em")]
    return [form]


def _parse() -> tuple[dict[tuple[str, ...], str], dict[str, str]]:
    phrases: dict[tuple[str, ...], str] = {}
    names: dict[str, str] = {}  # canonical -> kind (c: a concept)
    rows: list[str] = []
    for line in TABLE.strip().splitlines():
        if line.startswith(" "):
            rows[-1] += line  # a row continued
        else:
            rows.append(line)
    for row in rows:
        head, _, forms = row.partition(":")
        canonical, kind = head.split()
        names[canonical] = kind
        for form in forms.split():
            for one in _forms(form):
                phrases.setdefault(tuple(one.split("_")), canonical)
            if kind == "p" and "~" not in form and "_" not in form and form[-1] not in "sxz":
                # a person's German genitive ("Xis Parade", "Putins Besuch")
                phrases.setdefault((form + "s",), canonical)
    return phrases, names


PHRASES, CANONICAL = _parse()
NAMES: Final = {t: kind for t, kind in CANONICAL.items() if kind != "c"}  # name -> l, k, p, o
LONGEST: Final = max(len(k) for k in PHRASES)
STARTS: Final = frozenset(k[0] for k in PHRASES if len(k) > 1)  # first words of multi-word forms
WORDS: Final = {k[0]: v for k, v in PHRASES.items() if len(k) == 1}  # one-word forms
LEADERS: Final[dict[str, tuple[str, ...]]] = {
    country: tuple(sorted(n for n, c in COUNTRY_OF.items() if c == country))
    for country in set(COUNTRY_OF.values())
}  # country -> the names that stand for it
