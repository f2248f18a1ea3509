# ruff: noqa: E501  (prose: a sentence is one string, however long)
"""The demo newsroom's outlets and stories (``make run`` loads them; see newsdesk_ops.demo).

Every company, person, product and outlet here is invented for the demo and every text was
written for it; ``.example`` domains stand for the outlets' sites. The stories cover the
sections of ``shared/newsdesk/config/sections.json`` in Russian and English, with the fields a
real agency sends: byline, dateline, mentions, rights, source URL, a lead picture for most.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outlet:
    key: str
    name: str
    language: str
    section: str
    holder: str
    domain: str


@dataclass(frozen=True)
class Picture:
    """A generated picture: its colours and shape say which story it belongs to."""

    label: str
    caption: str
    credit: str
    colours: tuple[str, str]
    shape: str  # "circle", "triangle", "stripes", "grid", "wave"


@dataclass(frozen=True)
class Story:
    slug: str
    outlet: str
    language: str
    hours_ago: float
    headline: str
    summary: str
    paragraphs: tuple[str, ...]
    byline: str
    section: str  # a subject whose name or uri maps to a section (config "hints"), or "" for the outlet's
    located: str = ""
    subheadline: str = ""
    companies: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    picture: Picture | None = None
    inline_picture: Picture | None = None
    extra: dict[str, str] = field(default_factory=dict)


OUTLETS = (
    Outlet(
        "oboron",
        "Оборонные ведомости",
        "ru",
        "defence-industry",
        "ООО «Оборонные ведомости»",
        "oboronvedomosti.example",
    ),
    Outlet(
        "more", "Морской вестник", "ru", "shipbuilding", "АО «Издательский дом „Морской вестник“»", "morvestnik.example"
    ),
    Outlet("ekotech", "Экономика и технологии", "ru", "news", "ООО «ЭкоТех Медиа»", "ekotech.example"),
    Outlet("aero", "Аэрокосмический курьер", "ru", "aviation", "ООО «Аэрокурьер»", "aerokurier.example"),
    Outlet("ndr", "Northern Defence Review", "en", "world", "Northern Defence Review Ltd", "ndreview.example"),
)

# Subjects whose names the section map knows (config "hints"): they put a story in its section.
OPK, AVIATION, SHIPS, SPACE, ECONOMY, TECH, WORLD = (
    "ОПК",
    "Авиация",
    "Судостроение",
    "Космос",
    "Экономика",
    "Технологии",
    "World",
)

USAGE_TERMS_RU = "Материал размещён правообладателем в открытом доступе"
USAGE_TERMS_EN = "Published by the rights holder for free republication with attribution"

STORIES: tuple[Story, ...] = (
    Story(
        "strizh-serial",
        "oboron",
        "ru",
        0.5,
        "НПО «Контур-М» начало серийный выпуск беспилотного комплекса «Стриж-М»",
        "Нижегородское предприятие перешло к серии после государственных испытаний; первые шесть комплексов получат подразделения связи до конца квартала.",
        (
            "Нижегородское АО «НПО «Контур-М» приступило к серийному выпуску беспилотного комплекса «Стриж-М». Решение принято после государственных испытаний, которые шли с июня по октябрь.",
            "«Мы выходим на темп в два комплекса в месяц уже в первом квартале, а к лету рассчитываем удвоить выпуск», — сообщил генеральный директор предприятия Андрей Ковалёв.",
            "Бортовую электронику поставляет казанское ООО «Аэросистемы Поволжья», двигатели — АО «Камский моторный завод». Доля отечественных комплектующих, по словам Ковалёва, превышает 90%.",
        ),
        "Ирина Белозёрова",
        OPK,
        located="Нижний Новгород",
        subheadline="Первые шесть комплексов получат подразделения связи до конца квартала",
        companies=("АО «НПО «Контур-М»", "ООО «Аэросистемы Поволжья»", "АО «Камский моторный завод»"),
        people=("Андрей Ковалёв",),
        projects=("Беспилотный комплекс «Стриж-М»",),
        places=("Нижний Новгород", "Казань"),
        picture=Picture(
            "Стриж-М",
            "Беспилотный комплекс «Стриж-М» перед контрольным вылетом",
            "пресс-служба АО «НПО «Контур-М»",
            ("#1f3a5f", "#8fb8de"),
            "triangle",
        ),
    ),
    Story(
        "radar-export",
        "oboron",
        "ru",
        3,
        "Концерн «Радиолуч» подписал первый экспортный контракт на РЛС «Обзор-3»",
        "Поставки радиолокационных станций начнутся в 2027 году; сумма контракта не раскрывается.",
        (
            "Концерн «Радиолуч» заключил первый экспортный контракт на мобильные радиолокационные станции «Обзор-3». Заказчик — одна из стран Юго-Восточной Азии.",
            "Станция обнаруживает воздушные цели на дальности до 350 км и разворачивается расчётом из трёх человек за 15 минут.",
            "Заместитель генерального директора концерна Марина Лазарева сообщила, что серийный завод в Туле готов увеличить выпуск на треть.",
        ),
        "Сергей Гладков",
        OPK,
        located="Москва",
        companies=("Концерн «Радиолуч»",),
        people=("Марина Лазарева",),
        projects=("РЛС «Обзор-3»",),
        places=("Тула",),
        picture=Picture(
            "Обзор-3",
            "Антенный пост станции «Обзор-3» на выставке",
            "концерн «Радиолуч»",
            ("#2d4a22", "#a7c957"),
            "grid",
        ),
    ),
    Story(
        "ammo-plant",
        "oboron",
        "ru",
        6,
        "В Ижевске открыли новый цех порошковой металлургии",
        "Цех выпускает детали для стрелкового оружия и гражданских станков; инвестиции составили 2,4 млрд рублей.",
        (
            "На АО «Ижевские механические мастерские» запустили цех порошковой металлургии. Он будет выпускать до 1,2 млн деталей в год.",
            "Половина продукции пойдёт на гражданские станки и инструмент, рассказал директор по развитию Павел Фомин.",
        ),
        "Ольга Шарова",
        OPK,
        located="Ижевск",
        companies=("АО «Ижевские механические мастерские»",),
        people=("Павел Фомин",),
        places=("Ижевск",),
        picture=Picture(
            "Цех",
            "Линия прессования в новом цехе",
            "АО «Ижевские механические мастерские»",
            ("#5a3e2b", "#e0a96d"),
            "stripes",
        ),
    ),
    Story(
        "armor-composite",
        "oboron",
        "ru",
        11,
        "Разработчики брони «Щит-К» сократили массу защитных модулей на 18%",
        "Новая керамико-композитная броня прошла ведомственные испытания.",
        (
            "Научно-производственное объединение «Композит-Оборона» завершило ведомственные испытания защитных модулей «Щит-К» из керамики и арамидной ткани.",
            "По данным разработчика, при той же стойкости масса модуля снижена на 18%, а стоимость — на 7%.",
            "Главный конструктор Елена Сафонова сообщила, что модули предложат производителям бронеавтомобилей в 2027 году.",
        ),
        "Сергей Гладков",
        OPK,
        companies=("НПО «Композит-Оборона»",),
        people=("Елена Сафонова",),
        projects=("Защитные модули «Щит-К»",),
    ),
    Story(
        "drone-school",
        "oboron",
        "ru",
        20,
        "В Коломне начал работу учебный центр операторов беспилотников",
        "За год центр подготовит до 900 специалистов для предприятий и служб спасения.",
        (
            "Учебный центр при АО «Коломенское конструкторское бюро машиностроения» принял первую группу слушателей.",
            "Программа рассчитана на шесть недель и включает 40 часов практических полётов на тренажёрах и полигоне.",
        ),
        "Ирина Белозёрова",
        OPK,
        located="Коломна",
        companies=("АО «Коломенское конструкторское бюро машиностроения»",),
        places=("Коломна",),
        picture=Picture(
            "Учебный центр",
            "Занятие в классе тренажёров",
            "пресс-служба учебного центра",
            ("#3c1642", "#c77dff"),
            "circle",
        ),
    ),
    Story(
        "frigate-launch",
        "more",
        "ru",
        1.5,
        "На «Балтийской верфи-2» спустили на воду головной фрегат «Адмирал Корнилов»",
        "Корабль проекта 22360 достроят на плаву и передадут флоту в 2028 году.",
        (
            "На АО «Балтийская верфь-2» в Калининграде состоялся спуск на воду головного фрегата проекта 22360 «Адмирал Корнилов».",
            "«Корпус сформирован на четыре месяца раньше графика», — отметил генеральный директор верфи Николай Рябов.",
            "Энергетическую установку поставит АО «Севермотор», радиоэлектронное вооружение — концерн «Радиолуч».",
        ),
        "Дмитрий Ломакин",
        SHIPS,
        located="Калининград",
        companies=("АО «Балтийская верфь-2»", "АО «Севермотор»", "Концерн «Радиолуч»"),
        people=("Николай Рябов",),
        projects=("Фрегат проекта 22360 «Адмирал Корнилов»",),
        places=("Калининград",),
        picture=Picture(
            "Фрегат",
            "Фрегат «Адмирал Корнилов» у достроечной стенки",
            "АО «Балтийская верфь-2»",
            ("#0b3954", "#bfd7ea"),
            "wave",
        ),
        inline_picture=Picture(
            "Спуск", "Церемония спуска на воду", "АО «Балтийская верфь-2»", ("#087e8b", "#f5f5f5"), "wave"
        ),
    ),
    Story(
        "icebreaker-order",
        "more",
        "ru",
        9,
        "Северная верфь получила заказ на два портовых ледокола",
        "Суда мощностью 12 МВт будут работать в портах Белого моря.",
        (
            "АО «Северная верфь „Поморье“» подписало контракт на строительство двух портовых ледоколов мощностью 12 МВт.",
            "Ледоколы смогут преодолевать лёд толщиной до 1,5 м. Сдача головного судна запланирована на 2029 год.",
        ),
        "Дмитрий Ломакин",
        SHIPS,
        located="Архангельск",
        companies=("АО «Северная верфь „Поморье“»",),
        projects=("Портовый ледокол проекта «Беломорец»",),
        places=("Архангельск",),
        picture=Picture(
            "Ледокол",
            "Эскиз портового ледокола «Беломорец»",
            "АО «Северная верфь „Поморье“»",
            ("#e0fbfc", "#3d5a80"),
            "triangle",
        ),
    ),
    Story(
        "ship-digital-twin",
        "more",
        "ru",
        27,
        "Судостроители перейдут на цифровые двойники корпусов к 2028 году",
        "Отраслевой стандарт описывает обмен моделями между верфями и поставщиками.",
        (
            "Ассоциация судостроителей утвердила стандарт обмена цифровыми моделями корпусов. Он обязателен для новых заказов с 2028 года.",
            "По оценке ассоциации, цифровые двойники сократят число переделок при сборке секций на 30%.",
        ),
        "Анна Кречетова",
        SHIPS,
        companies=("Ассоциация судостроителей",),
        projects=("Стандарт «Цифровой корпус»",),
    ),
    Story(
        "tanker-conversion",
        "more",
        "ru",
        34,
        "В Астрахани переоборудуют танкеры под перевозку сжиженного газа",
        "Первые два судна вернутся в строй весной.",
        (
            "Астраханский судоремонтный завод «Каспий» начал переоборудование двух танкеров-продуктовозов для перевозки сжиженного углеводородного газа.",
            "Работы включают замену грузовых танков и систем безопасности; стоимость проекта — 1,1 млрд рублей.",
        ),
        "Анна Кречетова",
        SHIPS,
        located="Астрахань",
        companies=("Судоремонтный завод «Каспий»",),
        places=("Астрахань",),
        picture=Picture(
            "Танкер", "Танкер в плавучем доке завода «Каспий»", "СРЗ «Каспий»", ("#6b4226", "#f4d35e"), "stripes"
        ),
    ),
    Story(
        "steel-prices",
        "ekotech",
        "ru",
        2,
        "Цены на судостроительную сталь выросли на 6% за месяц",
        "Верфи просят металлургов о долгосрочных контрактах с фиксированной ценой.",
        (
            "Средняя цена толстолистовой стали для судостроения в ноябре выросла на 6%, следует из обзора аналитического центра «Металлоиндекс».",
            "Главный экономист центра Вера Николаева связывает рост с ремонтом двух прокатных станов и спросом со стороны мостостроения.",
        ),
        "Кирилл Воронов",
        ECONOMY,
        companies=("Аналитический центр «Металлоиндекс»",),
        people=("Вера Николаева",),
        picture=Picture("Сталь", "Толстолистовой прокат на складе", "«Металлоиндекс»", ("#495057", "#ced4da"), "grid"),
    ),
    Story(
        "defence-credit",
        "ekotech",
        "ru",
        5,
        "Предприятиям ОПК продлили льготные кредиты на гражданскую продукцию",
        "Ставка по программе останется на уровне 5% годовых до конца 2027 года.",
        (
            "Правительство продлило программу льготного кредитования гражданской продукции предприятий оборонно-промышленного комплекса.",
            "В 2026 году по программе выдано 214 кредитов на 96 млрд рублей; больше всего — на медицинское оборудование и станки.",
        ),
        "Кирилл Воронов",
        ECONOMY,
        located="Москва",
        companies=("Фонд развития промышленности",),
    ),
    Story(
        "chip-fab",
        "ekotech",
        "ru",
        8,
        "В Зеленограде запустили линию корпусирования микросхем",
        "Мощность линии — 60 млн корпусов в год; первые заказчики — производители связи и автоэлектроники.",
        (
            "АО «Микросборка» открыло в Зеленограде линию корпусирования микросхем мощностью 60 млн изделий в год.",
            "«Раньше мы отправляли кристаллы на сборку за рубеж, теперь цикл замыкается здесь», — сказал технический директор Игорь Лебедев.",
        ),
        "Полина Арсеньева",
        TECH,
        located="Зеленоград",
        companies=("АО «Микросборка»",),
        people=("Игорь Лебедев",),
        places=("Зеленоград",),
        picture=Picture(
            "Микросхемы", "Кассеты с корпусированными микросхемами", "АО «Микросборка»", ("#14213d", "#fca311"), "grid"
        ),
    ),
    Story(
        "ai-quality",
        "ekotech",
        "ru",
        14,
        "Машинное зрение нашло 40% дефектов сварки, пропущенных контролёрами",
        "Пилотный проект прошёл на трёх заводах тяжёлого машиностроения.",
        (
            "Система машинного зрения «Шов-Контроль» компании «ВижнЛаб» проверила 12 тысяч сварных швов на трёх заводах.",
            "Система отметила 40% дефектов, которые пропустил визуальный контроль; ложных срабатываний было меньше 3%.",
        ),
        "Полина Арсеньева",
        TECH,
        companies=("ООО «ВижнЛаб»",),
        projects=("Система «Шов-Контроль»",),
        picture=Picture(
            "Шов-Контроль", "Камера системы над сварочным постом", "ООО «ВижнЛаб»", ("#003049", "#d62828"), "circle"
        ),
    ),
    Story(
        "ruble-exports",
        "ekotech",
        "ru",
        22,
        "Экспорт станков за год вырос в полтора раза",
        "Главные покупатели — страны Центральной Азии и Ближнего Востока.",
        (
            "Экспорт металлообрабатывающих станков за десять месяцев вырос на 52%, сообщила Ассоциация станкостроителей.",
            "Президент ассоциации Георгий Малахов назвал главными покупателями Казахстан, Узбекистан и Египет.",
        ),
        "Кирилл Воронов",
        "",
        companies=("Ассоциация станкостроителей",),
        people=("Георгий Малахов",),
        places=("Казахстан", "Узбекистан", "Египет"),
    ),
    Story(
        "battery-plant",
        "ekotech",
        "ru",
        30,
        "Завод литий-ионных батарей в Калуге выйдет на проектную мощность в 2027 году",
        "Первая очередь уже выпускает батареи для электробусов и складской техники.",
        (
            "Завод ООО «Калуга Энергоячейка» выпустил первую партию батарей для электробусов.",
            "Проектная мощность — 4 ГВт·ч в год; выйти на неё планируют в 2027 году.",
        ),
        "Полина Арсеньева",
        TECH,
        located="Калуга",
        companies=("ООО «Калуга Энергоячейка»",),
        places=("Калуга",),
        picture=Picture(
            "Батареи", "Сборка батарейных модулей", "ООО «Калуга Энергоячейка»", ("#2b9348", "#eeef20"), "stripes"
        ),
    ),
    Story(
        "mc-21-tests",
        "aero",
        "ru",
        1,
        "Опытный самолёт МС-21 с новыми композитными крыльями выполнил первый полёт",
        "Полёт длился 1 час 40 минут и прошёл в штатном режиме.",
        (
            "Опытный самолёт с крылом из композитов, изготовленным на ульяновском заводе «АэроКомпозит-У», выполнил первый полёт.",
            "Экипаж под командованием лётчика-испытателя Василия Сёмина проверил устойчивость и управляемость на разных скоростях.",
        ),
        "Глеб Туманов",
        AVIATION,
        located="Иркутск",
        companies=("ООО «АэроКомпозит-У»",),
        people=("Василий Сёмин",),
        projects=("Самолёт МС-21",),
        places=("Иркутск", "Ульяновск"),
        picture=Picture(
            "МС-21",
            "Опытный самолёт на рулёжной дорожке перед вылетом",
            "пресс-служба завода",
            ("#219ebc", "#ffb703"),
            "triangle",
        ),
    ),
    Story(
        "helicopter-engine",
        "aero",
        "ru",
        7,
        "Двигатель ВК-1600 для лёгких вертолётов получил сертификат типа",
        "Серийные поставки начнутся в первом квартале.",
        (
            "Авиационные власти выдали сертификат типа турбовальному двигателю ВК-1600 мощностью 1600 л. с.",
            "Двигатель разработан для лёгких и средних вертолётов; ресурс до первого ремонта — 3000 часов.",
        ),
        "Глеб Туманов",
        AVIATION,
        companies=("АО «Климов-Моторс»",),
        projects=("Двигатель ВК-1600",),
        picture=Picture(
            "ВК-1600",
            "Двигатель ВК-1600 на испытательном стенде",
            "АО «Климов-Моторс»",
            ("#6a040f", "#ffba08"),
            "circle",
        ),
    ),
    Story(
        "airport-drones",
        "aero",
        "ru",
        16,
        "Аэропорты начнут осматривать полосы с помощью беспилотников",
        "Осмотр покрытия займёт 12 минут вместо 40.",
        (
            "В трёх аэропортах завершили испытания системы осмотра взлётно-посадочных полос с помощью беспилотников.",
            "Система находит посторонние предметы размером от 2 см и трещины покрытия.",
        ),
        "Мария Ветрова",
        AVIATION,
        projects=("Система «Полоса-Скан»",),
    ),
    Story(
        "satellite-constellation",
        "aero",
        "ru",
        4,
        "Первые четыре спутника группировки «Сфера-Связь» вышли на рабочую орбиту",
        "Группировка из 48 спутников обеспечит связь в Арктике.",
        (
            "Четыре спутника группировки «Сфера-Связь» вышли на рабочую орбиту высотой 800 км после запуска с космодрома Восточный.",
            "Генеральный конструктор системы Алексей Трошин сообщил, что следующий запуск состоится в марте.",
        ),
        "Мария Ветрова",
        SPACE,
        located="Космодром Восточный",
        companies=("АО «Информационные спутниковые системы»",),
        people=("Алексей Трошин",),
        projects=("Группировка «Сфера-Связь»",),
        places=("Космодром Восточный",),
        picture=Picture(
            "Сфера-Связь",
            "Спутники перед установкой под головной обтекатель",
            "пресс-служба космодрома",
            ("#03071e", "#f48c06"),
            "circle",
        ),
    ),
    Story(
        "reusable-engine",
        "aero",
        "ru",
        26,
        "Метановый двигатель для многоразовой ракеты прошёл огневые испытания",
        "Двигатель отработал 200 секунд на стенде в Воронеже.",
        (
            "Конструкторское бюро «Химавтоматика-Н» провело огневое испытание метанового двигателя тягой 100 тс.",
            "Двигатель предназначен для многоразовой первой ступени; он должен выдерживать не менее десяти полётов.",
        ),
        "Мария Ветрова",
        SPACE,
        located="Воронеж",
        companies=("КБ «Химавтоматика-Н»",),
        projects=("Ракета-носитель «Крыло-СВ»",),
        places=("Воронеж",),
        picture=Picture(
            "Огневые", "Огневое испытание двигателя на стенде", "КБ «Химавтоматика-Н»", ("#370617", "#ff7b00"), "wave"
        ),
    ),
    Story(
        "industry-forum",
        "ekotech",
        "ru",
        40,
        "Форум «Технологии в машиностроении» соберёт 600 компаний",
        "Деловая программа посвящена станкам, материалам и промышленной электронике.",
        (
            "Международный форум «Технологии в машиностроении» пройдёт в подмосковном Жуковском в августе.",
            "Организаторы ожидают 600 экспонентов; главная тема — замещение импортных станков и электроники.",
        ),
        "Ольга Шарова",
        "",
        companies=("Выставочная компания «Экспо-Тех»",),
        places=("Жуковский",),
    ),
    Story(
        "nordic-ammo",
        "ndr",
        "en",
        2.5,
        "Nordic ministries sign joint order for 155 mm artillery shells",
        "The four-year framework agreement covers up to 400,000 rounds from two plants.",
        (
            "Defence ministries of three Nordic countries signed a joint framework order for 155 mm artillery shells with Arctic Munitions AB.",
            "“Buying together gives industry the long-term volume it needs to invest,” said procurement director Karin Holm.",
            "Deliveries from the expanded plant in Karlskoga are to start in the second half of 2027.",
        ),
        "James Whitlock",
        WORLD,
        located="Stockholm",
        companies=("Arctic Munitions AB",),
        people=("Karin Holm",),
        places=("Karlskoga", "Stockholm"),
        picture=Picture(
            "155 mm",
            "Shell bodies on the production line in Karlskoga",
            "Arctic Munitions AB",
            ("#264653", "#e9c46a"),
            "stripes",
        ),
    ),
    Story(
        "baltic-cable",
        "ndr",
        "en",
        10,
        "Baltic states fund sensor network to protect undersea cables",
        "The network of seabed sensors will watch 1,200 km of cables and pipelines.",
        (
            "Estonia, Latvia and Lithuania agreed to fund a network of seabed sensors along their undersea cables and pipelines.",
            "The contract went to a consortium led by Seawatch Systems, which will install the first sensors next summer.",
        ),
        "Laura Jansons",
        WORLD,
        located="Riga",
        companies=("Seawatch Systems",),
        projects=("Baltic Seabed Watch",),
        places=("Riga",),
        picture=Picture(
            "Seabed", "A seabed sensor before deployment", "Seawatch Systems", ("#023e8a", "#90e0ef"), "wave"
        ),
    ),
    Story(
        "eu-space-budget",
        "ndr",
        "en",
        18,
        "European space agency backs a reusable launcher demonstrator",
        "Member states commit 480 million euros to a first stage that lands on a barge.",
        (
            "Member states of the European space agency approved 480 million euros for a reusable first stage demonstrator.",
            "Programme manager Henrik Dahl said the first hop test is planned for 2028 from a site in northern Norway.",
        ),
        "James Whitlock",
        SPACE,
        companies=("European Launcher Consortium",),
        people=("Henrik Dahl",),
        projects=("Project Skylark",),
        places=("Andøya",),
        picture=Picture(
            "Skylark",
            "Artist's impression of the Skylark stage on its barge",
            "European Launcher Consortium",
            ("#3a0ca3", "#4cc9f0"),
            "triangle",
        ),
    ),
    Story(
        "uk-frigate-steel",
        "ndr",
        "en",
        24,
        "British yard cuts first steel for a new class of frigates",
        "The first of five ships is due to join the fleet in 2031.",
        (
            "A shipyard on the Clyde cut the first steel for a new class of general-purpose frigates.",
            "The yard invested in a covered build hall so that work continues regardless of weather.",
        ),
        "Laura Jansons",
        SHIPS,
        located="Glasgow",
        companies=("Clyde Naval Yards",),
        projects=("Type 32 frigate",),
        places=("Glasgow",),
    ),
    Story(
        "drone-rules",
        "ndr",
        "en",
        32,
        "Regulators publish common rules for drones beyond line of sight",
        "The rules open corridors for inspection and delivery drones from 2027.",
        (
            "Aviation regulators published common rules for drones flying beyond the pilot's line of sight.",
            "Operators will need a detect-and-avoid system and a certified remote pilot; corridors open from January 2027.",
        ),
        "James Whitlock",
        AVIATION,
        projects=("BVLOS corridors",),
        picture=Picture(
            "BVLOS",
            "An inspection drone over a power line",
            "Northern Defence Review",
            ("#2a9d8f", "#f4a261"),
            "circle",
        ),
    ),
    Story(
        "chip-export-controls",
        "ndr",
        "en",
        44,
        "Chipmakers warn of delays as export licences pile up",
        "Industry groups say licence decisions now take 90 days on average.",
        (
            "Semiconductor industry groups warned that export licence applications now take 90 days on average to decide.",
            "They asked for a fast track for civilian customers with a clean compliance record.",
        ),
        "Laura Jansons",
        TECH,
        companies=("European Semiconductor Alliance",),
    ),
    Story(
        "armored-vehicle-tender",
        "oboron",
        "ru",
        13,
        "Тендер на лёгкий бронеавтомобиль выиграла машина «Рысь-4»",
        "Контракт предусматривает поставку 120 машин в течение трёх лет.",
        (
            "АО «Автозавод „Урал-Спецтех“» выиграло конкурс на поставку лёгких бронеавтомобилей «Рысь-4».",
            "Машина вмещает шесть человек, защищена по четвёртому классу и развивает скорость до 120 км/ч.",
        ),
        "Сергей Гладков",
        OPK,
        companies=("АО «Автозавод „Урал-Спецтех“»",),
        projects=("Бронеавтомобиль «Рысь-4»",),
        picture=Picture(
            "Рысь-4",
            "Бронеавтомобиль «Рысь-4» на полигоне",
            "АО «Автозавод „Урал-Спецтех“»",
            ("#606c38", "#dda15e"),
            "grid",
        ),
    ),
    Story(
        "quantum-comm",
        "ekotech",
        "ru",
        38,
        "Квантовую линию связи между Москвой и Тверью продлили до Великого Новгорода",
        "Протяжённость линии выросла до 520 км.",
        (
            "Оператор «КвантЛинк» продлил магистральную квантовую линию связи до Великого Новгорода.",
            "Линия используется для защищённой передачи ключей шифрования между центрами обработки данных.",
        ),
        "Полина Арсеньева",
        TECH,
        companies=("ООО «КвантЛинк»",),
        places=("Москва", "Тверь", "Великий Новгород"),
    ),
    Story(
        "arctic-port",
        "more",
        "ru",
        46,
        "В порту Диксон построят терминал для судов ледового класса",
        "Терминал рассчитан на перевалку 5 млн тонн грузов в год.",
        (
            "Компания «Арктик-Терминал» начала строительство перегрузочного терминала в порту Диксон.",
            "Первая очередь будет готова в 2028 году; причалы примут суда ледового класса Arc7.",
        ),
        "Дмитрий Ломакин",
        "",
        companies=("ООО «Арктик-Терминал»",),
        places=("Диксон",),
        picture=Picture(
            "Диксон", "Строительная площадка терминала", "ООО «Арктик-Терминал»", ("#caf0f8", "#0077b6"), "triangle"
        ),
    ),
)
