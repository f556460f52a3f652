"""Spanish texts of the 2018 seed: {English text in seed_2018.py: its Spanish version}."""
TEXTS = {
    # The event
    "Smart Specialisation Thematic Platform Days": (
        "Jornadas de las Plataformas Temáticas de Especialización Inteligente"
    ),
    "S3 Platform Days": "Jornadas de la Plataforma S3",
    "European Commission, Joint Research Centre (JRC), S3 Platform": (
        "Comisión Europea, Centro Común de Investigación (JRC), Plataforma S3"
    ),
    "European Commission, Joint Research Centre (JRC)": "Comisión Europea, Centro Común de Investigación (JRC)",
    "Basque Country": "País Vasco",
    "Bilbao, Spain": "Bilbao, España",
    "Euskalduna Conference Centre": "Palacio Euskalduna",
    (
        "Over 200 policy-makers, researchers, industry and civil-society representatives from "
        "all over the EU meet in Bilbao for a joint conference of the three Smart Specialisation "
        "Thematic Platforms (Agri-Food, Energy and Industrial Modernisation) and one meeting "
        "dedicated to each platform. The platforms connect over 145 regions and countries in 28 "
        "interregional partnerships with over 380 partners."
    ): (
        "Más de 200 responsables políticos, investigadores y representantes de la industria y de la sociedad civil "
        "de toda la UE se reúnen en Bilbao en una conferencia conjunta de las tres plataformas temáticas de "
        "especialización inteligente (Agroalimentación, Energía y Modernización Industrial) y en una reunión "
        "dedicada a cada plataforma. Las plataformas conectan a más de 145 regiones y países en 28 asociaciones "
        "interregionales con más de 380 socios."
    ),
    # The platforms
    "Agri-Food": "Agroalimentación",
    "Interregional partnerships for innovation along agri-food value chains.": (
        "Asociaciones interregionales para la innovación a lo largo de las cadenas de valor agroalimentarias."
    ),
    "Energy": "Energía",
    "Interregional partnerships for the energy transition, from bioenergy to smart grids.": (
        "Asociaciones interregionales para la transición energética, de la bioenergía a las redes inteligentes."
    ),
    "Industrial Modernisation": "Modernización Industrial",
    "Interregional partnerships for industrial modernisation and Industry 4.0.": (
        "Asociaciones interregionales para la modernización industrial y la industria 4.0."
    ),
    # The partnerships
    "Consumer Involvement in Agri-Food Innovation": (
        "Participación de los consumidores en la innovación agroalimentaria"
    ),
    "High-tech Farming": "Agricultura de alta tecnología",
    "Nutritional Ingredients": "Ingredientes nutricionales",
    "Smart Sensors for Agri-Food": "Sensores inteligentes para el sector agroalimentario",
    "Traceability and Big Data": "Trazabilidad y macrodatos",
    "Bioenergy": "Bioenergía",
    "Solar Energy": "Energía solar",
    "Marine Renewable Energy": "Energías renovables marinas",
    "Smart Grids": "Redes inteligentes",
    "Sustainable Buildings": "Edificios sostenibles",
    "Smart Regional Investments in Textile Innovation": "Inversiones regionales inteligentes en innovación textil",
    "Medical Technology": "Tecnología médica",
    "Photonics": "Fotónica",
    "New Nano-Enabled Products": "Nuevos productos basados en la nanotecnología",
    "SME Integration to Industry 4.0": "Integración de las pymes en la industria 4.0",
    "Bio-economy": "Bioeconomía",
    "3D Printing": "Impresión 3D",
    # The sessions
    "Registration desk and welcome coffee": "Acreditación y café de bienvenida",
    "Collect your badge and meet the other participants before the joint conference.": (
        "Recoja su acreditación y conozca al resto de participantes antes de la conferencia conjunta."
    ),
    "Joint Thematic Platforms Conference: Working Together towards Joint Investments": (
        "Conferencia conjunta de las plataformas temáticas: colaborar para lograr inversiones conjuntas"
    ),
    (
        "An open, interactive discussion on the future of the thematic approach to Smart "
        "Specialisation and interregional collaboration across the three platforms, also in view "
        "of the next Multiannual Financial Framework. It looks for synergies between partnerships "
        "across the platforms: Industry 4.0, global value chains, inter-platform joint "
        "initiatives. Open to all participants."
    ): (
        "Un debate abierto e interactivo sobre el futuro del enfoque temático de la especialización inteligente y "
        "de la colaboración interregional en las tres plataformas, también de cara al próximo marco financiero "
        "plurianual. Se buscarán sinergias entre las asociaciones de las distintas plataformas: industria 4.0, "
        "cadenas de valor mundiales e iniciativas conjuntas entre plataformas. Abierto a todos los participantes."
    ),
    "Agri-Food Platform meeting": "Reunión de la Plataforma de Agroalimentación",
    (
        "The progress of the Agri-Food partnerships: issues and challenges, pilots and projects, "
        "with space for learning, matchmaking and project presentations."
    ): (
        "Avances de las asociaciones de agroalimentación: problemas y retos, proyectos piloto y proyectos, con "
        "espacio para el aprendizaje, la búsqueda de socios y la presentación de proyectos."
    ),
    "Energy Platform meeting": "Reunión de la Plataforma de Energía",
    "The progress of the Energy partnerships, their pilots and projects, and matchmaking.": (
        "Avances de las asociaciones de energía, sus proyectos piloto y proyectos, y búsqueda de socios."
    ),
    "Industrial Modernisation Platform meeting": "Reunión de la Plataforma de Modernización Industrial",
    (
        "The progress of the Industrial Modernisation partnerships, their pilots and projects, "
        "and matchmaking."
    ): (
        "Avances de las asociaciones de modernización industrial, sus proyectos piloto y proyectos, y búsqueda de "
        "socios."
    ),
}
