"""Basque texts of the 2018 seed: {English text in seed_2018.py: its Basque version}."""
TEXTS = {
    # EVENT
    "Smart Specialisation Thematic Platform Days": "Espezializazio Adimenduneko Plataforma Tematikoen Jardunaldiak",
    "S3 Platform Days": "S3 Plataformaren Jardunaldiak",
    "European Commission, Joint Research Centre (JRC), S3 Platform": (
        "Europako Batzordea, Ikerketa Zentro Bateratua (JRC), S3 Plataforma"
    ),
    "European Commission, Joint Research Centre (JRC)": "Europako Batzordea, Ikerketa Zentro Bateratua (JRC)",
    "Basque Country": "Euskadi",
    "Bilbao, Spain": "Bilbo, Espainia",
    "Euskalduna Conference Centre": "Euskalduna Jauregia",
    (
        "Over 200 policy-makers, researchers, industry and civil-society representatives from "
        "all over the EU meet in Bilbao for a joint conference of the three Smart Specialisation "
        "Thematic Platforms (Agri-Food, Energy and Industrial Modernisation) and one meeting "
        "dedicated to each platform. The platforms connect over 145 regions and countries in 28 "
        "interregional partnerships with over 380 partners."
    ): (
        "EB osoko 200 lagun baino gehiago (politika-arduradunak, ikertzaileak eta industriaren eta gizarte "
        "zibilaren ordezkariak) Bilbon biltzen dira Espezializazio Adimenduneko hiru plataforma tematikoen "
        "(Nekazaritza eta Elikagaiak, Energia eta Industriaren Modernizazioa) konferentzia bateratu batean eta "
        "plataforma bakoitzari eskainitako bilera batean. Plataformek 145 eskualde eta herrialde baino gehiago "
        "lotzen dituzte eskualde arteko 28 lankidetzatan, 380 bazkide baino gehiagorekin."
    ),
    # PLATFORMS
    "Agri-Food": "Nekazaritza eta Elikagaiak",
    "Interregional partnerships for innovation along agri-food value chains.": (
        "Eskualde arteko lankidetzak, nekazaritzako elikagaien balio-kate osoan berrikuntza sustatzeko."
    ),
    "Energy": "Energia",
    "Interregional partnerships for the energy transition, from bioenergy to smart grids.": (
        "Eskualde arteko lankidetzak trantsizio energetikorako, bioenergiatik hasi eta sare adimendunetaraino."
    ),
    "Industrial Modernisation": "Industriaren Modernizazioa",
    "Interregional partnerships for industrial modernisation and Industry 4.0.": (
        "Eskualde arteko lankidetzak, industria modernizatzeko eta Industria 4.0 bultzatzeko."
    ),
    # PARTNERSHIPS: Agri-Food
    "Consumer Involvement in Agri-Food Innovation": (
        "Kontsumitzaileen parte-hartzea nekazaritzako elikagaien berrikuntzan"
    ),
    "High-tech Farming": "Goi-teknologiako nekazaritza",
    "Nutritional Ingredients": "Osagai nutrizionalak",
    "Smart Sensors for Agri-Food": "Nekazaritzako elikagaietarako sentsore adimendunak",
    "Traceability and Big Data": "Trazabilitatea eta datu masiboak",
    # PARTNERSHIPS: Energy
    "Bioenergy": "Bioenergia",
    "Solar Energy": "Eguzki-energia",
    "Marine Renewable Energy": "Itsas energia berriztagarriak",
    "Smart Grids": "Sare adimendunak",
    "Sustainable Buildings": "Eraikin jasangarriak",
    # PARTNERSHIPS: Industrial Modernisation
    "Smart Regional Investments in Textile Innovation": "Eskualdeen inbertsio adimendunak ehungintzaren berrikuntzan",
    "Medical Technology": "Medikuntza-teknologia",
    "Photonics": "Fotonika",
    "New Nano-Enabled Products": "Nanoteknologian oinarritutako produktu berriak",
    "SME Integration to Industry 4.0": "ETEak Industria 4.0n integratzea",
    "Bio-economy": "Bioekonomia",
    "3D Printing": "3D inprimaketa",
    # SESSIONS
    "Registration desk and welcome coffee": "Harrera-mahaia eta ongietorri-kafea",
    "Collect your badge and meet the other participants before the joint conference.": (
        "Jaso zure identifikazio-txartela eta ezagutu gainerako parte-hartzaileak konferentzia bateratua hasi aurretik."
    ),
    "Joint Thematic Platforms Conference: Working Together towards Joint Investments": (
        "Plataforma Tematikoen Konferentzia Bateratua: elkarlanean, inbertsio bateratuen bidean"
    ),
    (
        "An open, interactive discussion on the future of the thematic approach to Smart "
        "Specialisation and interregional collaboration across the three platforms, also in view "
        "of the next Multiannual Financial Framework. It looks for synergies between partnerships "
        "across the platforms: Industry 4.0, global value chains, inter-platform joint "
        "initiatives. Open to all participants."
    ): (
        "Eztabaida ireki eta interaktiboa, espezializazio adimendunaren ikuspegi tematikoaren eta hiru "
        "plataformetako eskualde arteko elkarlanaren etorkizunari buruz, hurrengo Urte Anitzeko Finantza Esparrua "
        "ere kontuan hartuta. Plataforma guztietako lankidetzen arteko sinergiak bilatzen ditu: Industria 4.0, "
        "balio-kate globalak eta plataformen arteko ekimen bateratuak. Parte-hartzaile guztientzat irekia."
    ),
    "Agri-Food Platform meeting": "Nekazaritza eta Elikagaien Plataformaren bilera",
    (
        "The progress of the Agri-Food partnerships: issues and challenges, pilots and projects, "
        "with space for learning, matchmaking and project presentations."
    ): (
        "Nekazaritza eta elikagaien arloko lankidetzen aurrerapenak: arazoak eta erronkak, proba pilotuak eta "
        "proiektuak, ikasteko, bazkideak bilatzeko eta proiektuak aurkezteko tartea ere izanik."
    ),
    "Energy Platform meeting": "Energia Plataformaren bilera",
    "The progress of the Energy partnerships, their pilots and projects, and matchmaking.": (
        "Energiaren arloko lankidetzen aurrerapenak, haien proba pilotuak eta proiektuak, eta bazkide-bilaketa."
    ),
    "Industrial Modernisation Platform meeting": "Industriaren Modernizazio Plataformaren bilera",
    (
        "The progress of the Industrial Modernisation partnerships, their pilots and projects, "
        "and matchmaking."
    ): (
        "Industriaren modernizazioaren arloko lankidetzen aurrerapenak, haien proba pilotuak eta proiektuak, eta "
        "bazkide-bilaketa."
    ),
}
