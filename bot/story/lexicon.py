"""The small tables that turn folded words into story terms: words that carry no event
(stopwords, in the folded forms of English, German, French, Spanish and transliterated
Russian), and event classes — words that name the same kind of happening in different
outlets' wording and languages ("quake", "earthquake", "Erdbeben" are one class).

The event classes do two jobs: they are synonyms (a report's terms include ``@quake``
whichever word it used), and they keep events apart: two headlines whose event classes are
disjoint, or contradict (``arrive`` against ``leave``), report different events even when
they name the same people (see ``bot.story.check``).  Words are listed folded (as
``bot.match.fold`` makes them) and unnormalized; ``bot.story.terms`` indexes both the word
and its normalized form."""

from __future__ import annotations

from typing import Final

# stopwords by language (folded); which language a report is in is guessed from them
STOPWORDS_BY_LANGUAGE: Final[dict[str, frozenset[str]]] = {
    "en": frozenset(
        """
        a an the and or but nor of to in on at by for from with without into onto over under
        about after before during since until against among amid amidst between through
        across near off up down out as is are was were be been being am has have had having do
        does did will would shall should can could may might must not no yes so than then
        that this these those there here it its he she his her hers him they them their theirs
        we our us you your i me my who whom whose which what when where why how all any both
        each few more most other some such only own same too very just also again still yet
        if because while per via vs v says said say saying told tells tell according report
        reports reported new news latest live update updates s t ap afp mr mrs ms
        """.split()
    ),
    "de": frozenset(
        """
        der die das den dem des ein eine einen einem einer eines und oder aber im in am an auf
        aus bei mit nach von vom zu zum zur fur ueber uber unter vor ist sind war waren wird
        werden wurde wurden hat haben hatte sich nicht auch als wie so es er sie wir ihr noch
        mehr bis seit gegen durch um muss mussen muessen musste mussten kann konnen koennen
        konnte konnten soll sollen sollte will wollen wollte darf durfen duerfen dass kein
        keine sein seine seinen seiner ihre ihren ihrer
        """.split()
    ),
    "fr": frozenset(
        """
        le la les un une des du de d l et ou mais au aux en dans sur sous pour par avec sans
        est sont a ete etre ce cet cette ces qui que quoi dont il elle ils elles on se sa son
        ses leur leurs pas plus apres avant selon lors contre entre
        """.split()
    ),
    "es": frozenset(
        """
        el los las y o del al con por para sin es son fue lo su sus que
        """.split()
    ),
    "ru": frozenset(
        """
        v vo na i s so k ko po o ob iz ot u za do pri pod nad bez dlya cherez posle pered mezhdu
        chto kak eto etot eta eti ne ni no a zhe li by byl byla bylo byli budet on ona oni ego
        ee ikh svoi svoe svoikh kotoryi kotoraya kotorye takzhe uzhe
        """.split()
    ),
}
# numbers written as words carry no event either: tolls, tallies and counts change while a
# story goes on ("three failures", "hundreds evacuated", "Tausende", "des milliers")
NUMBERS: Final = frozenset(
    """
    one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
    hundred hundreds thousand thousands million millions billion billions trillion dozen
    dozens tens scores third fourth fifth sixth seventh eighth ninth tenth
    zwei drei vier funf fuenf sechs sieben acht neun zehn zwolf zwoelf zwanzig hundert
    hunderte hunderten tausend tausende tausenden million millionen milliarde milliarden
    dutzend dutzende
    deux trois quatre cinq sept huit neuf dix douze vingt trente cent cents mille milliers
    milliard milliards dizaine dizaines centaine centaines
    dos tres cuatro cinco seis siete ocho nueve diez doce veinte cien cientos mil miles
    millon millones
    dva tri chetyre pyat shest vosem devyat desyat dvadtsat sto tysyacha tysyachi tysyach
    millionov milliona milliarda milliardov
    """.split()
)
STOPWORDS: Final = frozenset[str]().union(*STOPWORDS_BY_LANGUAGE.values()) | NUMBERS

# class name -> folded words of that class (any language); a word may be in several classes
EVENTS: Final[dict[str, list[str]]] = {
    "quake": (
        "earthquake earthquakes quake quakes tremor temblor seism seisme seismes sismo "
        "terremoto erdbeben zemletryasenie zemletryaseniya zemletryaseniem aftershock "
        "tremblement"
    ).split(),
    "kill": (
        "kill kills killed killing dead death deaths die dies died dying toll fatalities "
        "fatality lives tote toten todesopfer mort morts tue tues muertos pogibli pogib "
        "pogiblo pogibshikh zhertv zhertvy bodies"
    ).split(),
    "injure": "injured injures injuries wounded hurt verletzt verletzte blesses ranen".split(),
    "arrive": (
        "arrive arrives arrived arrival arrivals land lands landed reach reaches reached "
        "touches touched ankunft eingetroffen trifft arrivee pribyl pribyla priletel "
        "pribytie"
    ).split(),
    "leave": (
        "leave leaves depart departs departed departure departing abreise quitte "
        "otbyl uekhal vyekhal"
    ).split(),
    "return": "return returns returned returning zurueck zuruck retour vernulsya".split(),
    "talk": (
        "talk talks meet meets met meeting discuss discusses discussed discussions "
        "negotiate negotiations gespraech gesprach gespraeche gesprache treffen beraten "
        "pourparlers "
        "rencontre entretien peregovory vstretilis vstrecha"
    ).split(),
    "summit": "summit summits gipfel sommet sammit".split(),
    "parade": "parade parades militaerparade militarparade defile parad parade".split(),
    "resign": (
        "resign resigns resigned resignation quit quits quitting steps ruecktritt rucktritt "
        "demission otstavka"
    ).split(),
    "fall": ("topple topples toppled falls fell collapse collapses renverse chute sturz").split(),
    "lose": "lose loses lost losing defeat defeats defeated verliert perd".split(),
    "win": (
        "win wins won winning victory beat beats beaten crowned triumph sieg siegt "
        "remporte gagne pobeda"
    ).split(),
    "withdraw": (
        "withdraw withdraws withdrew withdrawn withdrawal withdrawals forfait ruckzug "
        "rueckzug snyalsya"
    ).split(),
    "appoint": (
        "appoint appoints appointed names named nominate nominated nomme sworn ernannt naznachil"
    ).split(),
    "dismiss": (
        "dismiss dismisses dismissed dismissal fire fires fired firing sack sacks sacked "
        "oust ousts ousted remove removes removed entlassen entlaesst entlasst limoge limogeage "
        "uvolil uvolen"
    ).split(),
    "attack": (
        "attack attacks attacked strike strikes struck hit hits shelling bombing "
        "bombardment "
        "angriff grossangriff attaque ataka ataki ataku atake atakoy udar udara udary"
    ).split(),
    "walkout": (
        "strike strikes striking walkout walk streik streiks streiken bahnstreik greve zabastovka"
    ).split(),
    "fire": (
        "fire fires blaze blazes wildfire wildfires burn burns burned burning ablaze "
        "brand waldbrand incendie incendies pozhar"
    ).split(),
    "flood": (
        "flood floods flooding flooded floodwater floodwaters hochwasser "
        "ueberschwemmung uberschwemmung inondation inondations navodnenie"
    ).split(),
    "storm": (
        "storm storms typhoon hurricane cyclone blizzard snowstorm sturm unwetter tempete "
        "uragan taifun"
    ).split(),
    "crash": (
        "crash crashes crashed plunge plunges plunged absturz unfall collision derail derailed "
        "falls fell"  # a bus falls off a road: an accident (a government's fall is ``fall``)
    ).split(),
    "shoot": (
        "shooting shootings shot gunman gunmen gunfire schuesse schusse fusillade strelba "
        "sbili sbit abgeschossen abschuss"
    ).split(),
    "launch": "launch launches launched liftoff lifts blasts start".split(),
    "unveil": (
        "unveil unveils unveiled launch launches launched introduce introduces "
        "introduced reveal reveals revealed presente"
    ).split(),
    "cut": (
        "cut cuts cutting lower lowers lowered trim trims slash slashes reduce senkt streicht "
        "streichen abbauen abbau"
    ).split(),
    "hold": (
        "hold holds unchanged steady leaves keeps keep belassen unveraendert unverandert"
    ).split(),
    "raise": "raise raises hike hikes increase increases lift lifts boost erhoeht erhoht".split(),
    "sign": "sign signs signed signing unterzeichnet signe podpisal".split(),
    "recognise": (
        "recognise recognises recognised recognize recognizes recognized recognition "
        "anerkennung reconnait reconnaissance"
    ).split(),
    "evacuate": "evacuate evacuated evacuation evacuations flee fled evakuiert evacues".split(),
    "rescue": "rescue rescued rescues rescuers saved gerettet secours spasli".split(),
    "trap": "trapped stranded stuck".split(),
    "close": (
        "close closes closed closure shut shuts shutdown halted halts suspend suspended "
        "suspends geschlossen gesperrt lahm lahmgelegt ferme fermeture zakryt disrupt disrupts "
        "disrupted disruption cripples crippled paralyses paralysed ogranichili"
    ).split(),
    "reopen": (
        "reopen reopens reopened reopening resume resumes resumed wiedereroeffnet wiedereroffnet"
    ).split(),
    "ban": "ban bans banned blocked verbot interdiction zapret".split(),
    "lift": "lifts lifted lifting reverse reverses reversed".split(),
}

# event classes that follow or frame an event rather than tell one (a flood kills,
# evacuates and strands; an attack or a strike closes things; a summit is where things
# are signed; one's win is another's defeat): they count as terms and in contradictions
# (closes / reopens), but not as the headline's event
NEUTRAL: Final = frozenset("kill injure evacuate rescue trap close summit win lose".split())

# headline words after which events are context, not the headline's event ("Kim's train
# arrives ahead of the parade", "Putin and Kim hold talks after the parade")
CONTEXT: Final = frozenset(
    """
    after ahead before following amid despite for nach vor fuer apres avant pour tras antes
    despues para posle pered nakanune dlya
    """.split()
)

# event classes that contradict each other: reports carrying one and not the other report
# different events, whatever else they share
CONFLICTS: Final = frozenset(
    frozenset(pair)
    for pair in (
        ("arrive", "leave"),
        ("arrive", "return"),
        ("leave", "return"),
        ("close", "reopen"),
        ("cut", "raise"),
        ("cut", "hold"),
        ("raise", "hold"),
        ("resign", "appoint"),
        ("fall", "appoint"),
        ("lose", "appoint"),
        ("ban", "lift"),
        ("launch", "close"),
        ("withdraw", "win"),  # one withdraws from a contest or wins it
    )
)
