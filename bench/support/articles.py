"""Articles the benches send: distinct, realistic ninjs 2.2 documents of about 5 KB, mostly Cyrillic."""

from __future__ import annotations

import json
import random
from typing import Any

DOCUMENT_BYTES = 5 * 1024

# --------------------------------------------------------------------------------------------------

_COMPANIES = [
    "АО «НПО «Контур-М»",
    "ПАО «Уральский турбинный завод»",
    "АО «Концерн «Радиоэлектронные системы»",
    "ООО «Аэросистемы Поволжья»",
    "АО «Камский моторный завод»",
    "АО «Северная верфь»",
    "ПАО «Объединённая авиастроительная корпорация»",
    "АО «Научно-производственное объединение «Сатурн-Т»",
]
_PRODUCTS = [
    "беспилотный комплекс «Стриж-М»",
    "радиолокационная станция «Обзор-3»",
    "корвет проекта 20380",
    "бронеавтомобиль «Тигр-2»",
    "двигатель ТВ7-117СМ",
    "зенитный комплекс «Тор-М2»",
    "транспортный самолёт Ил-76МД-90А",
    "система связи «Азарт-П»",
]
_CITIES = ["Нижний Новгород", "Казань", "Пермь", "Екатеринбург", "Санкт-Петербург", "Тула", "Рыбинск"]
_PEOPLE = ["Андрей Ковалёв", "Ирина Белозёрова", "Сергей Мельников", "Ольга Царёва", "Павел Громов"]
_SENTENCES = [
    "Предприятие {company} приступило к серийному выпуску изделия: {product}.",
    "Решение принято после завершения государственных испытаний, которые проходили под городом {city}.",
    "«Мы выходим на плановый темп уже в первом квартале», — сообщил {person}.",
    "По словам представителя компании, доля отечественных комплектующих превышает девяносто процентов.",
    "Первые партии получат подразделения, дислоцированные в Центральном военном округе.",
    "Контракт на поставку заключён в рамках государственного оборонного заказа на три года.",
    "Производственные мощности расширены за счёт нового цеха площадью двенадцать тысяч квадратных метров.",
    "Испытания подтвердили заявленные характеристики по дальности, точности и времени развёртывания.",
    "Специалисты {company} провели обучение расчётов на базе учебного центра в городе {city}.",
    "Модернизированная версия получила новую систему управления и защищённые каналы связи.",
    "Отраслевые аналитики оценивают объём рынка подобных систем в несколько десятков миллиардов рублей.",
    "В следующем году планируется начать экспортные поставки в страны Юго-Восточной Азии.",
    "Сервисное обслуживание в течение всего жизненного цикла берёт на себя производитель.",
    "{person} отметил, что сроки выполнения заказа не изменятся, несмотря на рост цен на металл.",
]


def article_document(index: int, uri: str) -> dict[str, Any]:
    """A ninjs 2.2 text article with a lead image, rights and mentions, about DOCUMENT_BYTES long."""
    pick = random.Random(index)
    company, product, city, person = (
        pick.choice(_COMPANIES),
        pick.choice(_PRODUCTS),
        pick.choice(_CITIES),
        pick.choice(_PEOPLE),
    )
    day = 1 + index % 28
    document: dict[str, Any] = {
        "uri": uri,
        "standard": {"name": "ninjs", "version": "2.2"},
        "type": "text",
        "version": "1",
        "firstcreated": f"2026-11-{day:02d}T06:40:00+03:00",
        "versioncreated": f"2026-11-{day:02d}T09:{index % 60:02d}:30+03:00",
        "pubstatus": "usable",
        "language": "ru",
        "located": city,
        "by": person,
        "headlines": [
            {"role": "main", "value": f"{company} начало серийный выпуск: {product} (№ {index})"},
            {"role": "sub", "value": f"Первые комплекты получат подразделения до конца квартала, {city}"},
        ],
        "descriptions": [{"role": "summary", "value": f"{company} перешло к серийному производству: {product}."}],
        "bodies": [{"role": "main", "contenttype": "text/html", "value": ""}],
        "copyrightholder": "ООО «Оборонные ведомости»",
        "copyrightnotice": "Права на данный материал принадлежат ООО «Оборонные ведомости»",
        "usageterms": "Материал размещён правообладателем в открытом доступе",
        "infosources": [{"name": "Оборонные ведомости", "role": "originator"}],
        "organisations": [{"name": company, "rel": "about"}],
        "objects": [{"name": product, "rel": "about"}],
        "people": [{"name": person, "rel": "quoted"}],
        "places": [{"name": city, "rel": "located"}],
        "subjects": [{"name": "Оборонная промышленность", "relevance": 90}],
        "associations": [
            {
                "name": "featureimage",
                "uri": f"{uri}:photo1",
                "type": "picture",
                "descriptions": [{"role": "caption", "value": f"{product} на заводском полигоне, {city}"}],
                "by": f"Источник: пресс-служба {company}",
                "renditions": [
                    {
                        "name": "baseImage",
                        "href": f"https://cdn.oboronvedomosti.example/img/{index}-1600.jpg",
                        "contenttype": "image/jpeg",
                        "width": 1600,
                        "height": 1067,
                    }
                ],
            }
        ],
    }
    values = {"company": company, "product": product, "city": city, "person": person}
    paragraphs: list[str] = []
    while len(encode(document)) < DOCUMENT_BYTES - 200:
        sentences = pick.sample(_SENTENCES, 3)
        paragraphs.append("<p>" + " ".join(s.format(**values) for s in sentences) + "</p>")
        document["bodies"][0]["value"] = "".join(paragraphs)
    return document


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def article_uri(index: int, run_tag: str) -> str:
    return f"urn:newsml:oboronvedomosti.example:bench:{run_tag}:{index:04d}"


def article_body(index: int, run_tag: str) -> bytes:
    return encode(article_document(index, article_uri(index, run_tag)))
