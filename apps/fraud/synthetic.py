"""A synthetic, labelled card and payment history with known fraud patterns (fixed seed: the same file every run).

    .venv/bin/python manage.py fraud_generate --out var/fraud.csv [--customers 1500] [--days 90] [--seed 7]

What it simulates (every number is a parameter below, drawn from ``random.Random(seed)``):

**Customers** (``c00001``...): a home country (70 % DE, the rest FR/NL/AT/IT/ES/GB/US), an account opened 10 days
to 6 years before the start (5 % open during the period), a spending level (median card amount 8-150, log-normal
spread 0.6), 0.3-3 transactions a day (Poisson), 4-14 favourite merchants mostly in their country, 1-4 people they
pay (``b-<customer>-<k>``), and waking hours around a personal mean (7-21 h, sd 2.5 h; 3 % at any hour).
Legitimate behaviour: 84 % card payments at a favourite merchant, 9 % at some other merchant (a new counterparty),
7 % transfers to their payees (about 4x the card level); 1 % of purchases are large (5-15x); 6 % of customers
travel once for 4-10 days and pay at merchants of another country.

**Merchants** (``m0001``...): 320, each with an MCC (groceries 5411, restaurants 5812, fuel 5541, pharmacies
5912, clothing 5651, electronics 5732, jewellery 5944, digital goods 5815, misc. online 5999, travel 4722,
hotels 7011), a country, and 1-3 terminals; card counterparties are terminals (``m0001-t2``; online: ``-web``).

**Fraud** (label 1), about 1 % of rows (1.23 % with the defaults; events scale with customer-days):
1. *Account takeover*: a customer's credentials are taken; over 1-3 hours, mostly at night, 2-5 transfers of
   5-20x their card level to new beneficiaries (half of them mule accounts), often from abroad.
2. *Card testing*: 5-15 tiny online purchases (0.50-2.50) within 5-30 minutes at digital-goods or online merchants,
   then 1-2 purchases of 3-8x the customer's level.
3. *Compromised terminal*: one terminal per 50 customers is skimmed for 14-28 days; each purchase there is fraud
   with probability 0.6, at 1.5-4x the usual amount.
4. *Mule accounts*: 16 beneficiaries (``mule-NN``) receive scam payments (authorised push payments: daytime,
   2-6x the customer's level, a new payee) from many unrelated customers, and the account-takeover transfers.
5. *Large out-of-pattern amounts*: one purchase of 10-40x the customer's level at a new merchant, usually
   electronics or jewellery, often abroad.

**Devices** (transfers only; card rows have none): each customer pays from their phone ``d-<customer>-1``; 25 %
get a new phone (``d-<customer>-2``) at a random moment of the period and use it from then on (a legitimate new
device). Account-takeover transfers come from the fraudster's device (``d-x-<customer>-<day>``) 90 % of the time.
Devices are drawn from a random stream of their own (seeded from ``seed``), so adding them changed no other value.

Rows are ``transaction_id,timestamp,customer_id,counterparty_id,amount,label,currency,merchant_category,country,
channel,account_opened,home_country,scenario,device_id`` sorted by time; ``amount`` has 2 decimals, currency EUR.
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

COLUMNS = (
    "transaction_id", "timestamp", "customer_id", "counterparty_id", "amount", "label", "currency",
    "merchant_category", "country", "channel", "account_opened", "home_country", "scenario", "device_id",
)
HOME_COUNTRIES = (("DE", 70), ("FR", 6), ("NL", 5), ("AT", 5), ("IT", 4), ("ES", 4), ("GB", 3), ("US", 3))
FOREIGN = ("US", "GB", "TR", "TH", "BR", "NG", "AE", "RU", "CN", "MX")
MCCS = (("5411", 22), ("5812", 18), ("5541", 10), ("5912", 8), ("5651", 9), ("5732", 6), ("5944", 2),
        ("5815", 8), ("5999", 8), ("4722", 4), ("7011", 5))
ONLINE = {"5815", "5999"}
START = datetime(2026, 1, 1, tzinfo=UTC)
DAY = 86400.0


@dataclass
class Merchant:
    merchant_id: str
    mcc: str
    country: str
    terminals: list[str]


@dataclass
class Customer:
    customer_id: str
    home: str
    opened: float
    level: float
    rate: float
    favourites: list[Merchant]
    payees: list[str]
    hour_mean: float


def _weighted(rng: random.Random, pairs) -> str:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def generate(
    *, customers: int = 1500, days: int = 90, seed: int = 7, start: datetime = START, fraud_scale: float = 1.0
) -> list[dict]:
    """The rows of the synthetic history, sorted by time (dicts keyed by ``COLUMNS``).

    ``fraud_scale`` multiplies the number of fraud events (small test files need more of them to train on).
    """
    rng = random.Random(seed)
    t0 = start.timestamp()
    merchants = []
    for k in range(1, 321):
        mcc = _weighted(rng, MCCS)
        country = _weighted(rng, HOME_COUNTRIES) if rng.random() < 0.85 else rng.choice(FOREIGN)
        terminals = ["web"] if mcc in ONLINE else [f"t{j}" for j in range(1, rng.randint(1, 3) + 1)]
        merchants.append(Merchant(f"m{k:04d}", mcc, country, terminals))
    by_country: dict[str, list[Merchant]] = {}
    for merchant in merchants:
        by_country.setdefault(merchant.country, []).append(merchant)
    online = [m for m in merchants if m.mcc in ONLINE]
    risky = [m for m in merchants if m.mcc in ("5732", "5944")] or merchants
    mules = [f"mule-{k:02d}" for k in range(1, 17)]

    people: list[Customer] = []
    for k in range(1, customers + 1):
        home = _weighted(rng, HOME_COUNTRIES)
        local = by_country.get(home) or merchants
        favourites = [rng.choice(local) if rng.random() < 0.85 else rng.choice(merchants)
                      for _ in range(rng.randint(4, 14))]
        opened = t0 + rng.uniform(0, days * DAY * 0.8) if rng.random() < 0.05 else t0 - rng.uniform(10, 2200) * DAY
        people.append(Customer(
            customer_id=f"c{k:05d}", home=home, opened=opened, level=math.exp(rng.uniform(math.log(8), math.log(150))),
            rate=rng.uniform(0.3, 3.0), favourites=favourites,
            payees=[f"b-{k:05d}-{j}" for j in range(1, rng.randint(1, 4) + 1)], hour_mean=rng.uniform(7, 21),
        ))

    rows: list[tuple] = []  # (ts, customer, counterparty, amount, label, mcc, country, channel)

    def card(ts, person, merchant, amount, label, scenario="legit"):
        terminal = rng.choice(merchant.terminals)
        rows.append((ts, person, f"{merchant.merchant_id}-{terminal}", amount, label, merchant.mcc, merchant.country,
                     "card", scenario))

    def transfer(ts, person, payee, amount, label, country, scenario="legit"):
        rows.append((ts, person, payee, amount, label, "", country, "transfer", scenario))

    def waking_time(person, day_start):
        hour = rng.uniform(0, 24) if rng.random() < 0.03 else min(max(rng.gauss(person.hour_mean, 2.5), 0), 23.99)
        return day_start + hour * 3600

    for person in people:
        trip = None
        if rng.random() < 0.06:
            first = rng.uniform(0, days - 10)
            trip = (t0 + first * DAY, t0 + (first + rng.uniform(4, 10)) * DAY, rng.choice(FOREIGN))
        for day in range(days):
            day_start = t0 + day * DAY
            if day_start + DAY < person.opened:
                continue
            for _ in range(_poisson(rng, person.rate)):
                ts = waking_time(person, day_start)
                if ts < person.opened:
                    continue
                amount = person.level * math.exp(rng.gauss(0, 0.6))
                roll = rng.random()
                if trip and trip[0] <= ts < trip[1] and roll < 0.8:
                    pool = by_country.get(trip[2]) or merchants
                    card(ts, person, rng.choice(pool), amount * 1.3, 0)
                elif roll < 0.84:
                    merchant = rng.choice(person.favourites)
                    card(ts, person, merchant, amount * (rng.uniform(5, 15) if rng.random() < 0.01 else 1), 0)
                elif roll < 0.93:
                    card(ts, person, rng.choice(merchants), amount, 0)
                else:
                    transfer(ts, person, rng.choice(person.payees), amount * 4 * math.exp(rng.gauss(0, 0.4)), 0,
                             person.home)

    span = days * DAY
    scale = fraud_scale * customers * days / 90  # events scale with customer-days

    def victim(margin_days: float = 1.0) -> tuple[Customer, float]:
        person = rng.choice(people)
        ts = max(t0 + rng.uniform(0, span - margin_days * DAY), person.opened + DAY)
        return person, ts

    # 1. account takeover
    for _ in range(max(1, round(scale / 40))):
        person, ts = victim()
        if rng.random() < 0.7:
            ts = math.floor(ts / DAY) * DAY + rng.uniform(0, 5) * 3600
        country = rng.choice(FOREIGN) if rng.random() < 0.6 else person.home
        for j in range(rng.randint(2, 5)):
            payee = rng.choice(mules) if rng.random() < 0.5 else f"x-{person.customer_id}-{j}"
            transfer(ts + rng.uniform(0, 3) * 3600, person, payee, person.level * rng.uniform(5, 20), 1, country,
                     "account_takeover")
    # 2. card testing
    for _ in range(max(1, round(scale / 30))):
        person, ts = victim()
        for _ in range(rng.randint(5, 15)):
            card(ts + rng.uniform(0, 30) * 60, person, rng.choice(online), rng.uniform(0.5, 2.5), 1, "card_testing")
        for _ in range(rng.randint(1, 2)):
            card(ts + rng.uniform(30, 120) * 60, person, rng.choice(merchants), person.level * rng.uniform(3, 8), 1,
                 "card_testing")
    # 3. compromised terminals: relabel (and inflate) purchases at the terminal during its window
    compromised = {}
    physical = [m for m in merchants if m.mcc not in ONLINE]
    for _ in range(max(1, round(fraud_scale * customers / 50))):
        merchant = rng.choice(physical)
        begin = t0 + rng.uniform(0, span - 14 * DAY)
        terminal = f"{merchant.merchant_id}-{rng.choice(merchant.terminals)}"
        compromised[terminal] = (begin, begin + rng.uniform(14, 28) * DAY)
    for index, row in enumerate(rows):
        window = compromised.get(row[2])
        if window and window[0] <= row[0] < window[1] and row[4] == 0 and rng.random() < 0.6:
            rows[index] = (*row[:3], row[3] * rng.uniform(1.5, 4), 1, *row[5:8], "compromised_terminal")
    # 4. mule scams (authorised push payments)
    for _ in range(max(1, round(scale / 15))):
        person, ts = victim()
        ts = math.floor(ts / DAY) * DAY + rng.uniform(9, 19) * 3600
        transfer(ts, person, rng.choice(mules), person.level * rng.uniform(2, 6), 1, person.home, "mule_scam")
    # 5. large out-of-pattern amounts
    for _ in range(max(1, round(scale / 20))):
        person, ts = victim()
        merchant = rng.choice(risky) if rng.random() < 0.7 else rng.choice(merchants)
        card(ts, person, merchant, person.level * rng.uniform(10, 40), 1, "large_amount")

    rows.sort(key=lambda row: row[0])
    device_of = _devices(people, random.Random(f"{seed}:devices"), t0=t0, span=span)
    out = []
    for number, (ts, person, counterparty, amount, label, mcc, country, channel, scenario) in enumerate(rows, start=1):
        out.append({
            "transaction_id": f"t{number:07d}",
            "timestamp": datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds"),
            "customer_id": person.customer_id,
            "counterparty_id": counterparty,
            "amount": f"{max(amount, 0.01):.2f}",
            "label": label,
            "currency": "EUR",
            "merchant_category": mcc,
            "country": country,
            "channel": channel,
            "account_opened": datetime.fromtimestamp(person.opened, UTC).isoformat(timespec="seconds"),
            "home_country": person.home,
            "scenario": scenario,
            "device_id": device_of(person, ts, scenario) if channel == "transfer" else "",
        })
    return out


def _devices(people: list[Customer], rng: random.Random, *, t0: float, span: float):
    """The device of each transfer: the customer's phone (a new one from its switch time on) or a fraudster's."""
    switch = {person.customer_id: t0 + rng.uniform(0, span) for person in people if rng.random() < 0.25}

    def device_of(person: Customer, ts: float, scenario: str) -> str:
        if scenario == "account_takeover" and rng.random() < 0.9:
            return f"d-x-{person.customer_id}-{math.floor(ts / DAY)}"
        changed = switch.get(person.customer_id)
        return f"d-{person.customer_id}-{2 if changed is not None and ts >= changed else 1}"

    return device_of


def write_csv(path: str | Path, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def window_dates(*, days: int, label_delay_days: int, start: datetime = START) -> dict[str, str]:
    """A train window of the first ~60 % of the days, a gap of ``label_delay_days``, the rest as the test window."""
    train_days = int(days * 0.6)
    iso = lambda d: (start + timedelta(days=d)).date().isoformat()  # noqa: E731
    return {
        "train_from": iso(0), "train_to": iso(train_days - 1),
        "test_from": iso(train_days + label_delay_days), "test_to": iso(days - 1),
    }
