"""The facts of the S3 Platform Days 2018 (shared/s3days-2018.md), as data for load_s3days.

What the announcement did not publish (venue, rooms, capacities, exact times of the platform
meetings) is a reasonable default here that organisers change in the admin.
"""
import datetime

EVENT = {
    "slug": "s3-platform-days-2018",
    "name": "Smart Specialisation Thematic Platform Days",
    "short_name": "S3 Platform Days",
    "host": "European Commission, Joint Research Centre (JRC), S3 Platform",
    "co_host": "Basque Country",
    "city": "Bilbao, Spain",
    "venue": "Euskalduna Conference Centre",
    # Not published: organisers change these in the admin. The DPO is the Commission's own.
    "contact_email": "s3-platform-days@example.org",
    "matchmaking": True,
    "controller": "European Commission, Joint Research Centre (JRC)",
    "dpo_email": "data-protection-officer@ec.europa.eu",
    "data_protection_law": "eu_institutions",
    "time_zone": "Europe/Madrid",
    "start_date": datetime.date(2018, 11, 27),
    "end_date": datetime.date(2018, 11, 28),
    "description": (
        "Over 200 policy-makers, researchers, industry and civil-society representatives from "
        "all over the EU meet in Bilbao for a joint conference of the three Smart Specialisation "
        "Thematic Platforms (Agri-Food, Energy and Industrial Modernisation) and one meeting "
        "dedicated to each platform. The platforms connect over 145 regions and countries in 28 "
        "interregional partnerships with over 380 partners."
    ),
}

PLATFORMS = [
    {
        "slug": "agri-food",
        "colour": "#2e6b30",
        "name": "Agri-Food",
        "position": 1,
        "short_description": "Interregional partnerships for innovation along agri-food value chains.",
    },
    {
        "slug": "energy",
        "colour": "#9a4a00",
        "name": "Energy",
        "position": 2,
        "short_description": "Interregional partnerships for the energy transition, from bioenergy to smart grids.",
    },
    {
        "slug": "industrial-modernisation",
        "colour": "#1d4ea8",
        "name": "Industrial Modernisation",
        "position": 3,
        "short_description": "Interregional partnerships for industrial modernisation and Industry 4.0.",
    },
]

PARTNERSHIPS = {
    "agri-food": [
        ("Consumer Involvement in Agri-Food Innovation", "Gelderland (NL), Östergötland (SE)"),
        ("High-tech Farming", "Tuscany (IT)"),
        ("Nutritional Ingredients", "Wallonia and Flanders (BE)"),
        ("Smart Sensors for Agri-Food", "Flanders and Wallonia (BE)"),
        ("Traceability and Big Data", "Andalusia (ES), Emilia-Romagna (IT)"),
    ],
    "energy": [
        ("Bioenergy", "Lapland (FI), Castilla y León (ES)"),
        ("Solar Energy", ""),
        ("Marine Renewable Energy", ""),
        ("Smart Grids", ""),
        ("Sustainable Buildings", ""),
    ],
    "industrial-modernisation": [
        ("Smart Regional Investments in Textile Innovation", ""),
        ("Medical Technology", ""),
        ("Photonics", ""),
        ("New Nano-Enabled Products", ""),
        ("SME Integration to Industry 4.0", ""),
        ("Bio-economy", ""),
        ("3D Printing", ""),
    ],
}

ROOMS = [
    {"name": "Foyer", "capacity": None},
    {"name": "Auditorium", "capacity": 300},
    {"name": "Meeting room A", "capacity": 100},
    {"name": "Meeting room B", "capacity": 100},
    {"name": "Meeting room C", "capacity": 100},
]

# (slug, title, kind, platform slug, room, day, start, end, registrable, description); times
# are the event's local clock (Europe/Madrid).
SESSIONS = [
    (
        "welcome-desk",
        "Registration desk and welcome coffee",
        "networking",
        None,
        "Foyer",
        datetime.date(2018, 11, 27),
        datetime.time(13, 0),
        datetime.time(14, 0),
        False,
        "Collect your badge and meet the other participants before the joint conference.",
    ),
    (
        "joint-conference",
        "Joint Thematic Platforms Conference: Working Together towards Joint Investments",
        "joint_conference",
        None,
        "Auditorium",
        datetime.date(2018, 11, 27),
        datetime.time(14, 0),
        datetime.time(18, 0),
        True,
        "An open, interactive discussion on the future of the thematic approach to Smart "
        "Specialisation and interregional collaboration across the three platforms, also in view "
        "of the next Multiannual Financial Framework. It looks for synergies between partnerships "
        "across the platforms: Industry 4.0, global value chains, inter-platform joint "
        "initiatives. Open to all participants.",
    ),
    (
        "agri-food-meeting",
        "Agri-Food Platform meeting",
        "platform_meeting",
        "agri-food",
        "Meeting room A",
        datetime.date(2018, 11, 28),
        datetime.time(9, 30),
        datetime.time(13, 0),
        True,
        "The progress of the Agri-Food partnerships: issues and challenges, pilots and projects, "
        "with space for learning, matchmaking and project presentations.",
    ),
    (
        "energy-meeting",
        "Energy Platform meeting",
        "platform_meeting",
        "energy",
        "Meeting room B",
        datetime.date(2018, 11, 28),
        datetime.time(9, 30),
        datetime.time(13, 0),
        True,
        "The progress of the Energy partnerships, their pilots and projects, and matchmaking.",
    ),
    (
        "industrial-modernisation-meeting",
        "Industrial Modernisation Platform meeting",
        "platform_meeting",
        "industrial-modernisation",
        "Meeting room C",
        datetime.date(2018, 11, 28),
        datetime.time(9, 30),
        datetime.time(13, 0),
        True,
        "The progress of the Industrial Modernisation partnerships, their pilots and projects, "
        "and matchmaking.",
    ),
]
