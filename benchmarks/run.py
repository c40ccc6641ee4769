"""Benchmark kfscript against jieba, a regex loop, flashtext and a bare Aho-Corasick scan.

One command measures everything side by side, on the same synthetic customer messages, and
writes a Markdown report whose pass/fail verdicts are computed from the measured numbers:

    python benchmarks/run.py                  # full run, writes benchmarks/RESULTS.md
    python benchmarks/run.py --smoke          # tiny run (well under a minute), writes a temp file
    python benchmarks/run.py --messages 20000 --sizes 1000,10000 --out /tmp/results.md

Why each measurement is shaped the way it is:
- Latency is per message (median and p95 of `time.perf_counter_ns` around one call), because
  a shop assistant waits for one message at a time; every method sees the same messages in
  the same order, after a warm-up on a separate slice, and all messages are distinct so no
  method can profit from a cache. The methods take turns, 500 messages each, so a busy
  spell on shared cores lands on all of them (one run once had kfscript alone slowed).
- Larger rule sets are real jieba dictionary words, not random strings, so they hit real
  messages and exercise segmentation the way a big shop vocabulary would.
- Cold start, build time and memory are measured in fresh child processes, so nothing the
  benchmark process already loaded (jieba's dictionary, kfscript's tables) flatters them.
- kfscript's on-disk engine cache is pointed at a scratch folder for every process, so a run
  neither reads nor fills the user's ~/.cache, and each number says which cache it saw.

The full run takes about 5 minutes on a 2-core machine. A measurement whose child process
fails is listed under "Problems" in the report and the command exits 1; the rest is kept.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import importlib.metadata
import io
import json
import math
import os
import platform
import pstats
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jieba
import opencc
import yaml

import kfscript
from kfscript.normalise import fold

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "RESULTS.md"
DEV_SET = ROOT / "tests" / "data" / "dev.jsonl"
SEED = 20240521
TERMS_PER_RULE = 50
TRADITIONAL_SHARE = 0.25
REGEX_FULL_LIMIT = 10_000
"""Below this many terms the regex loop times every message; from here on, being ~1 ms a
message and more, only the first REGEX_SAMPLE (and none in --smoke)."""
REGEX_SAMPLE = 200
PROFILE_MESSAGES = 2_000
CJK_WORD = re.compile(r"^[\u4e00-\u9fff]{2,4}$")

Method = Callable[[str], object]


# --------------------------------------------------------------------------------------
# Messages: templates and vocabulary written for this benchmark (none taken from dev data)
# --------------------------------------------------------------------------------------

PRODUCTS: tuple[tuple[str, str], ...] = (
    ("保温杯", "个"), ("玻璃水杯", "个"), ("马克杯", "个"), ("陶瓷碗", "个"), ("餐盘", "个"),
    ("连衣裙", "条"), ("牛仔裤", "条"), ("卫衣", "件"), ("羽绒服", "件"), ("衬衫", "件"),
    ("运动鞋", "双"), ("拖鞋", "双"), ("袜子", "双"), ("帽子", "顶"), ("围巾", "条"),
    ("蓝牙耳机", "副"), ("充电器", "个"), ("数据线", "根"), ("手机壳", "个"), ("充电宝", "个"),
    ("台灯", "盏"), ("床单", "条"), ("四件套", "套"), ("枕头", "个"), ("窗帘", "幅"),
    ("茶叶", "盒"), ("零食礼包", "箱"), ("坚果", "袋"), ("蜂蜜", "瓶"), ("咖啡豆", "包"),
    ("面膜", "盒"), ("口红", "支"), ("洗发水", "瓶"), ("沐浴露", "瓶"), ("香水", "瓶"),
    ("行李箱", "个"), ("双肩包", "个"), ("电饭煲", "台"), ("空气炸锅", "台"), ("吹风机", "个"),
    ("机械键盘", "把"), ("鼠标", "个"), ("显示器", "台"), ("积木玩具", "套"), ("猫粮", "袋"),
    ("狗绳", "根"), ("花瓶", "个"), ("收纳盒", "个"), ("衣架", "个"), ("奶瓶", "个"),
    ("纸尿裤", "包"), ("儿童书包", "个"), ("手表", "块"), ("项链", "条"), ("耳环", "对"),
    ("雨伞", "把"), ("瑜伽垫", "张"), ("电动牙刷", "支"), ("剃须刀", "个"), ("平底锅", "口"),
)
PARTS = ("螺丝", "说明书", "充电线", "遥控器", "盖子", "配件包", "电池", "挂钩", "底座",
         "吸管", "赠品", "保修卡", "滤网", "刷头", "拉杆")
COLORS = ("黑色", "白色", "红色", "蓝色", "粉色", "灰色", "绿色", "米白色", "卡其色",
          "藏青色", "酒红色", "咖啡色", "银色", "紫色", "黄色")
SIZES = ("S", "M", "L", "XL", "XXL", "36", "37", "38", "39", "40", "41", "42", "43")
COURIERS = ("顺丰", "中通", "圆通", "韵达", "申通", "京东快递", "极兔", "邮政", "德邦")
CITIES = ("杭州", "广州", "上海", "北京", "武汉", "成都", "郑州", "西安", "长沙", "南京",
          "深圳", "义乌", "沈阳", "昆明", "厦门", "重庆", "天津", "合肥")
COUNTS = ("1", "2", "3", "4", "5", "一", "两", "三", "四", "五", "六", "十")
DURATIONS = ("2天", "3天", "4天", "5天", "一周", "一个星期", "两周", "半个月", "10天",
             "三天", "五天", "好几天", "48小时", "一个礼拜", "七天")
FLAVOURS = ("原味", "麻辣", "五香", "番茄味", "烧烤味", "芥末味", "蜂蜜味", "抹茶味")

GREETINGS = ("在吗", "你好", "您好", "亲", "亲在吗", "老板在吗", "客服在吗", "有人吗",
             "哈喽", "hello", "Hi", "在不在", "掌柜的", "店家", "打扰一下", "请问", "喂",
             "小姐姐在吗", "亲亲", "早上好", "晚上好")

CLAUSES: tuple[str, ...] = (
    # arrived broken
    "{p}收到就碎了", "外包装都压扁了，{p}也变形了", "打开一看{p}裂了一条缝", "{p}边角磕坏了",
    "快递盒破了个洞，{p}摔坏了", "{p}表面全是划痕", "{p}漏了，箱子里全湿了",
    "{p}的盖子摔裂了", "拆开发现{p}断成两截", "{p}刚到就有个缺口",
    # missing parts
    "少发了{n}{u}{p}", "买了{n}{u}{p}只收到一{u}", "{p}的{part}没有", "{part}没给",
    "说好的{part}没收到", "{p}缺了{part}装不上", "包裹里少了一{u}{p}", "漏发了{part}",
    # not shipped yet
    "拍了{dur}了还没发货", "{p}什么时候发货啊", "能不能今天就发出去", "说好48小时发货的呢",
    "订单怎么还显示待发货", "催一下发货，{p}急用", "付款{dur}了一直不发", "下午能发走吗",
    # stuck in transit
    "物流{dur}没更新了", "{courier}一直显示在{city}中转", "快递到驿站了也不送上门",
    "包裹卡在{city}{dur}了", "单号查不到物流信息", "快递员说明天送结果又没送",
    "{courier}的件怎么走了{dur}还没到", "显示已签收但我没收到啊",
    # wrong item
    "我买的是{c}的，发来的是{c2}", "拍的{s}码发成了{s2}码", "发错货了，{p}不是我要的",
    "收到的不是我买的{p}", "型号不对，我下单的是另一款", "口味发错了，要{f}来的是{f2}",
    "{p}颜色和订单上的不一样", "数量不对，我拍的是{n}{u}",
    # quality
    "{p}用了{dur}就坏了", "{p}掉色很严重", "{p}有一股怪味", "{p}和图片差太多了",
    "{p}质量太差了", "{p}充不进电", "{p}洗了一次就起球", "{p}做工太粗糙了",
    "{p}一开机就黑屏", "{p}跟详情页写的不一样", "{p}穿上一天就开线了",
    # return / refund / exchange
    "我要退货", "{p}能退款吗", "想换个{s}码的", "退款什么时候到账", "怎么申请退换货",
    "{p}七天无理由可以退吗", "把退货地址发我一下", "退款{dur}了还没到账", "我想换成{c}的",
    # bargaining
    "{p}能便宜点吗", "有优惠券吗", "老顾客有折扣吗", "买{n}{u}能包邮吗", "{price}太贵了",
    "送个小礼品呗", "满减活动还有吗", "{p}再少{small}块行不行", "能不能给个会员价",
    # reviews and complaints
    "不给解决我就给差评", "差评已经写好了", "好评返现还算数吗", "问题解决了我就改好评",
    "我要投诉你们店", "再不处理我打12315", "我去平台投诉", "我要找消协维权",
    # shipping fee
    "退货运费谁出", "运费险能赔多少", "快递员让我付{price}运费", "到付的钱谁承担",
    "换货的邮费要我出吗",
    # service attitude
    "客服怎么不回消息", "问了半天都不理人", "你们客服态度太差了", "机器人回复有什么用",
    "能不能转人工", "每次都让我等", "说话能不能客气点",
    # thanks / closing
    "好的谢谢啦", "收到了谢谢", "没问题了", "辛苦了", "谢谢亲", "拜拜", "好的知道了", "麻烦你了",
    # pre-sale questions
    "这个{p}有{c}的吗", "{p}是什么材质的", "{s}码适合多高的人", "能开发票吗", "{p}保修多久",
    "{p}什么时候补货", "现在下单{dur}能到{city}吗", "{p}能机洗吗", "这款和上一款有什么区别",
    "{p}是正品吗", "{p}有现货吗", "{p}还有{c}的吗", "{p}适合送人吗", "{p}可以用{dur}吗",
    # details
    "订单号{order}", "我的手机尾号{tail}", "{p}是{date}买的", "花了{price}买的",
    "收货地址在{city}",
)
FEELINGS = ("气死我了", "什么破东西", "垃圾", "无语了", "搞什么啊", "服了你们了", "太过分了",
            "骗子吧", "急死了", "真的很失望", "心累", "醉了", "有没有搞错", "离谱")
CLOSINGS = ("麻烦尽快处理一下", "谢谢", "辛苦了", "急用", "在线等", "麻烦看看", "尽快回复我",
            "等你回复", "请给个说法", "怎么办", "帮我查一下", "谢谢啦")
JOINS = ("，", "，", "，", "。", " ", "！", "？", "，而且", "，还有", "；", "...")
ENDINGS = ("", "", "。", "！", "！！", "？", "？？？", "...", "～", "!!!", "??", "！！！")
EMOJI = ("", "", "", "", "😡", "😤", "😭", "🙏", "👍", "😂", "🤔", "💢", "😊", "🤬", "😅")


def _fill(template: str, rng: random.Random) -> str:
    """One clause with its slots filled; the second colour/size/flavour differs from the first."""
    product, unit = rng.choice(PRODUCTS)
    color, color2 = rng.sample(COLORS, 2)
    size, size2 = rng.sample(SIZES, 2)
    flavour, flavour2 = rng.sample(FLAVOURS, 2)
    values = {
        "p": product, "u": unit, "part": rng.choice(PARTS), "n": rng.choice(COUNTS),
        "dur": rng.choice(DURATIONS), "courier": rng.choice(COURIERS), "city": rng.choice(CITIES),
        "c": color, "c2": color2, "s": size, "s2": size2, "f": flavour, "f2": flavour2,
        "price": rng.choice((f"{rng.randint(9, 999)}元", f"¥{rng.randint(9, 499)}.9",
                             f"{rng.randint(10, 300)}块")),
        "small": str(rng.randint(2, 50)), "order": "".join(rng.choices("0123456789", k=16)),
        "tail": "".join(rng.choices("0123456789", k=4)),
        "date": f"{rng.randint(1, 12)}月{rng.randint(1, 28)}号",
    }
    return template.format(**values)


def _message(rng: random.Random) -> str:
    """A simplified-script message: optional greeting, 1-3 clauses, optional feeling/closing."""
    parts: list[str] = []
    if rng.random() < 0.3:
        parts.append(rng.choice(GREETINGS) + rng.choice(("，", "？", " ", "！", "~", "")))
    clauses = [_fill(rng.choice(CLAUSES), rng) for _ in range(rng.choice((1, 1, 2, 2, 2, 3)))]
    if rng.random() < 0.25:
        clauses.insert(rng.randint(0, len(clauses)), rng.choice(FEELINGS))
    if rng.random() < 0.3:
        clauses.append(rng.choice(CLOSINGS))
    body = clauses[0]
    for clause in clauses[1:]:
        body += rng.choice(JOINS) + clause
    parts.append(body + rng.choice(ENDINGS) + rng.choice(EMOJI))
    return "".join(parts)


def forbidden_sentences() -> frozenset[str]:
    """The labelled dev sentences: the benchmark must never reproduce one of them."""
    if not DEV_SET.is_file():
        return frozenset()
    texts = set()
    for line in DEV_SET.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            if isinstance(record, dict) and isinstance(record.get("text"), str):
                texts.add(record["text"])
    return frozenset(texts)


def generate_messages(count: int, seed: int) -> tuple[list[str], frozenset[str]]:
    """`count` distinct messages of 10-80 characters, and those converted to traditional script.

    Same seed, same list: the generator uses only its own `random.Random` and OpenCC's
    fixed tables. About a quarter of the messages are converted with OpenCC's s2t.
    """
    rng = random.Random(seed)
    to_traditional = opencc.OpenCC("s2t")
    forbidden = forbidden_sentences()
    seen: dict[str, bool] = {}
    attempts = 0
    while len(seen) < count:
        attempts += 1
        if attempts > count * 50:
            raise RuntimeError(f"could only make {len(seen)} distinct messages of {count}")
        text = _message(rng)
        traditional = rng.random() < TRADITIONAL_SHARE
        if traditional:
            text = str(to_traditional.convert(text))
        if 10 <= len(text) <= 80 and text not in forbidden:
            seen.setdefault(text, traditional)
    messages = list(seen)
    if len(set(messages)) != count:
        raise AssertionError("messages are not distinct")
    return messages, frozenset(text for text, traditional in seen.items() if traditional)


# --------------------------------------------------------------------------------------
# Synthetic rule sets
# --------------------------------------------------------------------------------------

def dictionary_words(exclude: frozenset[str]) -> list[str]:
    """jieba's dictionary words of 2-4 CJK characters, already folded, in dictionary order.

    Words that fold to something else, or that the bundled rules already use, are left out
    so every synthetic term is new and is written exactly as the matcher stores it.
    """
    path = Path(jieba.__file__).parent / "dict.txt"
    words: dict[str, None] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split(" ", 1)[0]
        if CJK_WORD.match(word) and fold(word) == word and word not in exclude:
            words.setdefault(word, None)
    return list(words)


def intent_files(folder: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """The bundled intent files by intent: file name and parsed content, for merging."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        if isinstance(data, dict) and isinstance(data.get("intent"), str):
            found[data["intent"]] = (path.name, data)
    return found


def write_rule_set(folder: Path, bundled: Path, words: Sequence[str]) -> None:
    """Bundled rules plus `words` as `any:` rules of 50 terms, dealt round the 14 intents.

    Synthetic rules are appended to the bundled file of the same intent (an intent may be
    declared by one file only), so every bundled rule still behaves as shipped.
    """
    folder.mkdir(parents=True)
    for path in sorted(bundled.glob("_*.yaml")):
        shutil.copy(path, folder / path.name)
    extra: dict[str, list[dict[str, Any]]] = {intent: [] for intent in kfscript.INTENTS}
    for number, start in enumerate(range(0, len(words), TERMS_PER_RULE)):
        intent = kfscript.INTENTS[number % len(kfscript.INTENTS)]
        extra[intent].append({"id": f"synthetic_{number:05d}",
                              "any": list(words[start:start + TERMS_PER_RULE])})
    existing = intent_files(bundled)
    for intent in kfscript.INTENTS:
        name, data = existing.get(intent, (f"{intent}.yaml", {"intent": intent, "rules": []}))
        merged = {**data, "rules": [*data.get("rules", []), *extra[intent]]}
        if merged["rules"]:
            text = yaml.safe_dump(merged, allow_unicode=True, sort_keys=False, width=4096)
            (folder / name).write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------
# The peers: what kfscript is compared with
# --------------------------------------------------------------------------------------

def optional_module(name: str) -> Any:
    """A peer's module, or None when it is not installed (its rows are then skipped, not fatal:
    the smoke run must pass wherever kfscript itself works)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def regex_loop(terms: Sequence[str]) -> Method:
    """Rasa KeywordIntentClassifier's approach: one regex search per term per message.

    The patterns are compiled once, which is kinder to this approach than calling
    `re.search(re.escape(term), text)` each time (that re-escapes every term and, past the
    `re` module's 512-pattern cache, recompiles every pattern for every message).
    """
    patterns = [re.compile(re.escape(term)) for term in terms]

    def search(folded: str) -> list[str]:
        return [pattern.pattern for pattern in patterns if pattern.search(folded)]

    return search


def flashtext_extractor(terms: Sequence[str]) -> Method:
    """flashtext's trie in pure Python, the usual 'fast keyword extraction' library."""
    processor = optional_module("flashtext").KeywordProcessor()
    processor.add_keywords_from_list(list(terms))

    def extract(folded: str) -> list[str]:
        found: list[str] = processor.extract_keywords(folded)
        return found

    return extract


def aho_scanner(terms: Sequence[str]) -> Method:
    """A bare C Aho-Corasick scan: the floor for any term matcher, with no rule logic."""
    automaton = optional_module("ahocorasick").Automaton()
    for index, term in enumerate(terms):
        automaton.add_word(term, index)
    automaton.make_automaton()

    def scan(folded: str) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = list(automaton.iter(folded))
        return found

    return scan


def jieba_cut(text: str) -> list[str]:
    """jieba's default mode (accurate, HMM on), the tokenizer most Chinese pipelines start with."""
    words: list[str] = jieba.lcut(text)
    return words


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Latency:
    """Per-message latency of one method on one rule set."""

    method: str
    messages: int
    median_us: float
    p95_us: float
    note: str = ""


@dataclass
class SizeResult:
    """Every method's latency on one rule set."""

    label: str
    terms: int
    entries: int
    """Entries of kfscript's automaton: the terms plus any crossing words."""
    rows: list[Latency] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def find(self, method: str) -> Latency | None:
        return next((row for row in self.rows if row.method == method), None)


def percentile(sorted_values: Sequence[int], share: float) -> int:
    """Nearest-rank percentile: an observed value, never an interpolation."""
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


def time_each(method: Method, texts: Sequence[str]) -> list[int]:
    """Nanoseconds per call, one call per text, in order."""
    clock = time.perf_counter_ns
    spent: list[int] = []
    append = spent.append
    for text in texts:
        start = clock()
        method(text)
        append(clock() - start)
    return spent


def measure(name: str, method: Method, warm: Sequence[str], texts: Sequence[str],
            note: str = "") -> Latency:
    """Warm up on messages that are not timed, then time each message once."""
    for text in warm:
        method(text)
    gc.collect()
    spent = sorted(time_each(method, texts))
    return Latency(name, len(texts), statistics.median(spent) / 1000,
                   percentile(spent, 0.95) / 1000, note)


BLOCK = 500
"""Messages a method times in a row before the next method takes the same block."""


@dataclass
class Timed:
    """One method to time, with its own inputs (raw or folded messages)."""

    name: str
    method: Method
    warm: Sequence[str]
    texts: Sequence[str]
    note: str = ""


def measure_together(timed: Sequence[Timed]) -> list[Latency]:
    """Time several methods on the same messages, block by block in turn.

    Each method runs BLOCK messages in a row (its caches warm, as in real use), then the
    next method takes the same block, in alternating order: a machine that slows down for
    a while slows every method alike, so the ratios hold even when shared cores are busy.
    """
    for item in timed:
        for text in item.warm:
            item.method(text)
    gc.collect()
    spent: list[list[int]] = [[] for _ in timed]
    order = list(range(len(timed)))
    for start in range(0, max((len(item.texts) for item in timed), default=0), BLOCK):
        for index in order:
            item = timed[index]
            spent[index] += time_each(item.method, item.texts[start:start + BLOCK])
        order.reverse()
    found = []
    for item, times in zip(timed, spent, strict=True):
        times.sort()
        found.append(Latency(item.name, len(times), statistics.median(times) / 1000,
                             percentile(times, 0.95) / 1000, item.note))
    return found


def log(message: str) -> None:
    """Progress on stderr, so a long run shows where it is."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# Child processes: cold start, build, batch
# --------------------------------------------------------------------------------------

RSS_SNIPPET = """
import json, os, resource, sys, time
def rss_kb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
def peak_kb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""
"""Memory probes for the children. Peak RSS is VmHWM, the high-water mark of the process's own
address space: ru_maxrss survives exec on Linux, so a child started from this (large) process
would report this process's peak instead of its own."""
COLD_KFSCRIPT = RSS_SNIPPET + """
start = time.perf_counter()
import kfscript
kfscript.suggest("在吗")
print(json.dumps({"inside_s": time.perf_counter() - start, "peak_kb": peak_kb()}))
"""
COLD_JIEBA = RSS_SNIPPET + """
start = time.perf_counter()
import jieba
jieba.setLogLevel(30)
jieba.initialize()
print(json.dumps({"inside_s": time.perf_counter() - start, "peak_kb": peak_kb()}))
"""
BUILD_CHILD = RSS_SNIPPET + """
import kfscript
before = rss_kb()
start = time.perf_counter()
engine = kfscript.Engine.from_paths(rules=sys.argv[1] or None)
loaded = time.perf_counter() - start
engine.classify(sys.argv[2])
wall = time.perf_counter() - start
after, peak = rss_kb(), peak_kb()
scanner = getattr(engine.matcher, "scanner", None)
entries = len(scanner.entries()) if scanner else len(engine.matcher.terms)
print(json.dumps({"build_s": wall, "load_s": loaded, "before_kb": before, "after_kb": after,
                  "peak_kb": peak, "entries": entries}))
"""
BUILD_PROBE = "在吗？收到的杯子碎了，还少了一个螺丝，我要退款！！"
"""A message with terms in it, so the one classify after a build loads the segmenter too."""


CHILD_FAILURES = (RuntimeError, OSError, ValueError, KeyError, IndexError)
"""What a failed or garbled child process raises here (JSON errors are ValueErrors)."""


def run_child(code: str, args: Sequence[str] = (), env: dict[str, str] | None = None
              ) -> tuple[float, dict[str, Any]]:
    """Wall seconds of a fresh interpreter running `code`, and the JSON it printed last."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"child process failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return wall, json.loads(done.stdout.strip().splitlines()[-1])


def cache_env(folder: Path) -> dict[str, str]:
    """This environment with kfscript's on-disk cache (if it has one) in `folder`.

    Both the specific and the XDG variable point there, so the harness never reads or
    fills the user's own ~/.cache, and every measurement says which cache it started from.
    """
    return {**os.environ, "KFSCRIPT_CACHE_DIR": str(folder / "kfscript"),
            "XDG_CACHE_HOME": str(folder)}


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for this process, restoring them afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass(frozen=True)
class ColdStart:
    """Medians over fresh processes running one start-up command."""

    name: str
    cache: str
    runs: int
    wall_s: float
    inside_s: float
    peak_mb: float


def cold_start(name: str, cache: str, code: str, runs: int,
               env: Callable[[], dict[str, str] | None]) -> ColdStart:
    """Median over `runs` fresh processes, each with the environment `env()` gives it."""
    walls: list[float] = []
    insides: list[float] = []
    peaks: list[float] = []
    for _ in range(runs):
        wall, report = run_child(code, env=env())
        walls.append(wall)
        insides.append(float(report["inside_s"]))
        peaks.append(int(report["peak_kb"]) / 1024)
    return ColdStart(name, cache, runs, statistics.median(walls), statistics.median(insides),
                     statistics.median(peaks))


def cold_starts(runs: int, warm_cache: Path, scratch: Path, full: bool) -> list[ColdStart]:
    """kfscript's start with a filled cache (and, unless smoke, an empty one) against jieba's.

    Unless smoke, one unrecorded run of each first warms the operating system's file cache.
    """
    kf_name = "import kfscript; kfscript.suggest('在吗')"
    jieba_name = "import jieba; jieba.initialize()"

    def filled() -> dict[str, str]:
        return cache_env(warm_cache)

    def empty() -> dict[str, str]:
        return cache_env(Path(tempfile.mkdtemp(prefix="cold-", dir=scratch)))

    if full:
        run_child(COLD_KFSCRIPT, env=filled())
        run_child(COLD_JIEBA)
    found = [cold_start(kf_name, "filled", COLD_KFSCRIPT, runs, filled)]
    if full:
        found.append(cold_start(kf_name, "empty", COLD_KFSCRIPT, runs, empty))
    found.append(cold_start(jieba_name, "-", COLD_JIEBA, runs, lambda: None))
    return found


@dataclass(frozen=True)
class Build:
    """One rule set's build in fresh processes: time, then memory over an import-only process."""

    label: str
    entries: int
    first_s: float
    first_load_s: float
    """The part of first_s spent in Engine.from_paths, before the one classify."""
    second_s: float
    second_load_s: float
    rss_delta_mb: float
    """After the first build and its classify: the target's figure."""
    peak_delta_mb: float
    second_rss_delta_mb: float
    """After the second start and its classify: what every later process holds."""


def cache_hooks() -> list[str]:
    """Environment variables the kfscript source mentions for an on-disk cache, if any."""
    package = Path(kfscript.__file__).parent
    names: set[str] = set()
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names.update(re.findall(r"\b(?:XDG_CACHE_HOME|KFSCRIPT_[A-Z_]*CACHE[A-Z_]*)\b", text))
    return sorted(names)


def build(label: str, rules: Path | None, cache: Path) -> Build:
    """Build time and memory of an engine: first build from an empty cache, then second start.

    The second fresh process shares the first one's cache folder, so if kfscript keeps an
    on-disk compiled cache, the second start can use what the first build wrote.
    """
    args = [str(rules) if rules else "", BUILD_PROBE]
    _, first = run_child(BUILD_CHILD, args, cache_env(cache))
    _, second = run_child(BUILD_CHILD, args, cache_env(cache))
    before = int(first["before_kb"])
    return Build(label, int(first["entries"]), float(first["build_s"]), float(first["load_s"]),
                 float(second["build_s"]), float(second["load_s"]),
                 (int(first["after_kb"]) - before) / 1024,
                 (int(first["peak_kb"]) - before) / 1024,
                 (int(second["after_kb"]) - int(second["before_kb"])) / 1024)


@dataclass(frozen=True)
class BatchRun:
    """The `kfscript classify` command over one JSON-lines file, medians over the rounds."""

    label: str
    lines: int
    rounds: int
    wall_s: float
    per_second: float
    net_per_second: float | None
    """None when the file is too short for the difference to mean anything."""


def kfscript_command() -> list[str]:
    """The installed console script next to this interpreter, or `python -m kfscript`."""
    script = Path(sys.executable).parent / "kfscript"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "kfscript"]


def has_workers_option() -> bool:
    """Whether `kfscript classify --help` offers --workers."""
    done = subprocess.run([*kfscript_command(), "classify", "--help"], capture_output=True,
                          text=True, check=False)
    return "--workers" in done.stdout


def timed_command(command: Sequence[str], env: dict[str, str]) -> float:
    """Wall seconds of a command whose output is thrown away; a failure is an error."""
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed: {done.stderr[-2000:]}")
    return wall


def batch(messages: Sequence[str], scratch: Path, cache: Path, workers: bool, rounds: int,
          net: bool) -> list[BatchRun]:
    """`kfscript classify` over a JSON-lines file; the net rate subtracts a one-line run.

    The engine cache is the bundled build's, already filled, so no run pays a first build.
    Each round runs every variant once, so a slow spell on a shared machine hits them all;
    the medians over the rounds are reported. Without `net` the one-line runs are skipped.
    """
    env = cache_env(cache)
    big = scratch / "batch.jsonl"
    big.write_text("".join(json.dumps({"text": text}, ensure_ascii=False) + "\n"
                           for text in messages), encoding="utf-8")
    one = scratch / "one.jsonl"
    one.write_text(json.dumps({"text": messages[0]}, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    variants: list[tuple[str, list[str]]] = [("single process", [])]
    if workers:
        variants = [("--workers 1", ["--workers", "1"]), ("--workers 2", ["--workers", "2"])]
    startups: dict[str, list[float]] = {label: [] for label, _ in variants}
    walls: dict[str, list[float]] = {label: [] for label, _ in variants}
    for _ in range(rounds):
        for label, extra in variants:
            command = [*kfscript_command(), "classify", *extra]
            if net:
                startups[label].append(timed_command([*command, str(one)], env))
            walls[label].append(timed_command([*command, str(big)], env))
    runs: list[BatchRun] = []
    for label, _ in variants:
        wall = statistics.median(walls[label])
        work = wall - statistics.median(startups[label]) if startups[label] else 0.0
        rate = (len(messages) - 1) / work if work > max(0.2 * wall, 0.05) else None
        runs.append(BatchRun(label, len(messages), rounds, wall, len(messages) / wall, rate))
    return runs


# --------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """What to run, from the command line; --smoke shrinks every part to stay under a minute."""

    smoke: bool
    messages: int
    warmup: int
    sizes: tuple[int, ...]
    cold_runs: int
    batch_lines: int
    batch_rounds: int
    out: Path
    seed: int


@dataclass
class Results:
    """Everything measured, kept as plain numbers until the report is rendered."""

    settings: Settings
    message_count: int
    traditional: int
    lengths: tuple[int, int, int]
    samples: list[str]
    bundled_terms: int
    bundled_rules: int
    sizes: list[SizeResult] = field(default_factory=list)
    cold: list[ColdStart] = field(default_factory=list)
    builds: list[Build] = field(default_factory=list)
    batch: list[BatchRun] = field(default_factory=list)
    workers: bool = False
    cache_hooks: list[str] = field(default_factory=list)
    memo: tuple[int, int, int] | None = None
    """The segmenter's stretch memo after the bundled run: size, longest stretch, bound."""
    profile: str = ""
    problems: list[str] = field(default_factory=list)


def default_engine() -> kfscript.Engine:
    """The bundled engine, or a clear exit: without loadable rules nothing here means anything."""
    try:
        return kfscript.default_engine()
    except kfscript.KfscriptError as error:
        sys.exit(f"benchmarks: the bundled rules do not load, so there is nothing to measure:\n"
                 f"{error}")


def regex_row(result: SizeResult, terms: Sequence[str], warm: Sequence[str],
              folded: Sequence[str], settings: Settings) -> None:
    """The regex loop, timed on its own: at ~1 ms a message and more it is sampled."""
    if len(terms) < REGEX_FULL_LIMIT:
        result.rows.append(measure("regex loop", regex_loop(terms), warm[:20], folded))
    elif settings.smoke:
        result.skipped.append(("regex loop", f"skipped in --smoke from {REGEX_FULL_LIMIT:,} "
                                             "terms on"))
    else:
        sample = folded[:REGEX_SAMPLE]
        result.rows.append(measure("regex loop", regex_loop(terms), warm[:5], sample,
                                   f"first {len(sample)} messages only (slow)"))


def peers(result: SizeResult, terms: Sequence[str], entries: Sequence[str],
          warm: Sequence[str], folded: Sequence[str]) -> list[Timed]:
    """flashtext and the bare automaton over the same folded messages, to be timed together
    with kfscript; an 'all entries' automaton too when kfscript's holds more than terms."""
    timed = []
    if optional_module("flashtext") is None:
        result.skipped.append(("flashtext", "not installed (pip install flashtext)"))
    else:
        timed.append(Timed("flashtext", flashtext_extractor(terms), warm, folded))
    if optional_module("ahocorasick") is None:
        result.skipped.append(("pyahocorasick (bare)", "not installed (pip install "
                                                       "pyahocorasick)"))
        return timed
    timed.append(Timed("pyahocorasick (bare)", aho_scanner(terms), warm, folded))
    if len(entries) != len(terms):
        timed.append(Timed("pyahocorasick (bare, all entries)", aho_scanner(entries), warm,
                           folded, "kfscript's own automaton vocabulary"))
    return timed


def rule_terms(engine: kfscript.Engine) -> tuple[str, ...]:
    """The folded terms the rule files define, which is what the peers are given.

    A kfscript version may also put jieba dictionary words that can straddle a term's edge
    into its automaton ('crossing words', kind CROSSING, ~50 times the bundled terms); they
    are part of kfscript's method, not of the rule set, so the peers do not get them.
    """
    from kfscript import matcher as matcher_module

    matcher = engine.matcher
    terms = tuple(matcher.terms)
    crossing = int(getattr(matcher_module, "CROSSING", 0))
    kinds: Sequence[int] | None = getattr(matcher, "kinds", None)
    if not crossing or kinds is None:
        return terms
    return tuple(term for term, kind in zip(terms, kinds, strict=True) if kind & ~crossing)


def automaton_entries(engine: kfscript.Engine) -> tuple[str, ...]:
    """Everything kfscript's automaton looks for once its dictionary is loaded: the rule
    terms and, in a version that scans for them in the same pass, jieba's dictionary words."""
    scanner = getattr(engine.matcher, "scanner", None)
    if scanner is None or not hasattr(scanner, "entries"):
        return tuple(engine.matcher.terms)
    return tuple(scanner.entries())


def latency_for(label: str, engine: kfscript.Engine, classify: Method, suggest: Method,
                warm: Sequence[str], texts: Sequence[str], settings: Settings) -> SizeResult:
    """Every method's latency on one rule set; peers use exactly the rule set's terms.

    kfscript, jieba.lcut, flashtext and the bare automata are timed together, block by
    block in turn (`measure_together`), so each table's ratios compare numbers taken within
    a second of each other, whatever else the machine is doing.
    """
    terms = rule_terms(engine)
    entries = automaton_entries(engine)
    result = SizeResult(label, len(terms), len(entries))
    log(f"{label}: {len(terms):,} rule terms, {len(entries):,} automaton entries")
    folded_warm = [fold(text) for text in warm]
    folded = [fold(text) for text in texts]
    timed = [Timed("kfscript classify", classify, warm, texts),
             Timed("kfscript suggest(k=3)", suggest, warm, texts),
             Timed("jieba.lcut", jieba_cut, warm, texts),
             *peers(result, terms, entries, folded_warm, folded)]
    del entries
    result.rows += measure_together(timed)
    del timed
    gc.collect()
    log(f"{label}: timing the regex loop")
    regex_row(result, terms, folded_warm, folded, settings)
    return result


def default_suggest(text: str) -> object:
    """The module-level suggest with k=3, the call a chat front end makes."""
    return kfscript.suggest(text, 3)


def suggester(engine: kfscript.Engine) -> Method:
    """`engine.suggest(text, 3)` as a one-argument method."""
    def suggest(text: str) -> object:
        return engine.suggest(text, 3)

    return suggest


def profile_classify(texts: Sequence[str]) -> str:
    """cProfile's top 10 functions over kfscript.classify on `texts`, by cumulative time
    (which stage costs most) and by own time (which function to make faster)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for text in texts:
        kfscript.classify(text)
    profiler.disable()
    parts = []
    for order, title in (("cumulative", "cumulative time"), ("tottime", "own time")):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats(order).print_stats(10)
        lines = buffer.getvalue().strip().splitlines()
        start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
        parts.append(f"# by {title}\n" + "\n".join(lines[start:]))
    return "\n\n".join(parts)


@contextmanager
def scratch_folder() -> Iterator[Path]:
    """A temporary folder for rule sets, JSON lines and caches, removed at the end."""
    with tempfile.TemporaryDirectory(prefix="kfscript-bench-") as name:
        yield Path(name)


def run(settings: Settings) -> Results:
    """Everything, with in-process timings first so that no child process disturbs them."""
    with scratch_folder() as scratch, environment(cache_env(scratch / "cache-main")):
        log("generating messages")
        needed = settings.warmup + max(settings.messages, settings.batch_lines)
        messages, traditional = generate_messages(needed, settings.seed)
        warm = messages[:settings.warmup]
        texts = messages[settings.warmup:settings.warmup + settings.messages]
        engine = default_engine()
        lengths = sorted(len(text) for text in texts)
        results = Results(
            settings, len(texts), sum(1 for text in texts if text in traditional),
            (lengths[0], int(statistics.median(lengths)), lengths[-1]),
            [texts[i] for i in range(0, len(texts), max(1, len(texts) // 6))][:6],
            len(rule_terms(engine)), len(engine.matcher.rules))
        rule_sets = write_rule_sets(settings, engine, scratch)
        measure_latency(results, engine, rule_sets, warm, texts)
        log("profiling kfscript.classify")
        results.profile = profile_classify(texts[:PROFILE_MESSAGES])
        measure_processes(results, rule_sets, scratch,
                          messages[settings.warmup:settings.warmup + settings.batch_lines])
    return results


def write_rule_sets(settings: Settings, engine: kfscript.Engine, scratch: Path
                    ) -> dict[int, Path]:
    """One folder per size; sizes share a prefix of one shuffled word list, so they nest."""
    log("writing synthetic rule sets")
    words = dictionary_words(frozenset(rule_terms(engine)))
    random.Random(settings.seed).shuffle(words)
    if max(settings.sizes, default=0) > len(words):
        raise SystemExit(f"only {len(words):,} dictionary words available")
    bundled_path = Path(getattr(engine, "rules_path", ROOT / "rules"))
    rule_sets = {size: scratch / f"rules-{size}" for size in settings.sizes}
    for size, folder in rule_sets.items():
        write_rule_set(folder, bundled_path, words[:size])
    return rule_sets


def measure_latency(results: Results, engine: kfscript.Engine, rule_sets: dict[int, Path],
                    warm: Sequence[str], texts: Sequence[str]) -> None:
    """Per-message latency of every method on every rule set, the bundled one first."""
    settings = results.settings
    jieba.setLogLevel(30)
    jieba.initialize()
    results.sizes.append(latency_for("bundled", engine, kfscript.classify, default_suggest,
                                     warm, texts, settings))
    results.memo = memo_state(engine)
    for size, folder in rule_sets.items():
        log(f"building the +{size:,}-term engine")
        try:
            big = kfscript.Engine.from_paths(rules=folder)
        except kfscript.KfscriptError as error:
            problem(results, f"the +{size:,}-term rule set does not load: {error}")
            continue
        results.sizes.append(latency_for(f"+{size:,} synthetic", big, big.classify,
                                         suggester(big), warm, texts, settings))
        del big
        gc.collect()


def memo_state(engine: kfscript.Engine) -> tuple[int, int, int] | None:
    """How many short stretches' word edges the segmenter remembered, if it has a memo."""
    from kfscript import segment

    memo = getattr(engine.matcher.segmenter, "memo", None)
    if memo is None:
        return None
    return len(memo), int(getattr(segment, "MEMO_LONGEST", 0)), int(getattr(segment,
                                                                         "MEMO_SIZE", 0))


def measure_processes(results: Results, rule_sets: dict[int, Path], scratch: Path,
                      batch_messages: Sequence[str]) -> None:
    """Builds, cold starts and batch runs, each in fresh child processes.

    A child that fails is noted as a problem and its table rows are left out, so one broken
    measurement never costs the report all the others.
    """
    settings = results.settings
    results.cache_hooks = cache_hooks()
    bundled_cache = scratch / "cache-bundled"
    builds: list[tuple[str, Path | None, Path]] = [("bundled", None, bundled_cache)]
    builds += [(f"+{size:,} synthetic", folder, scratch / f"cache-{size}")
               for size, folder in rule_sets.items()]
    for label, folder, cache in builds:
        log(f"build in a fresh process: {label}")
        try:
            results.builds.append(build(label, folder, cache))
        except CHILD_FAILURES as error:
            problem(results, f"build {label}: {error}")
    log("cold starts")
    try:
        results.cold = cold_starts(settings.cold_runs, bundled_cache, scratch,
                                   not settings.smoke)
    except CHILD_FAILURES as error:
        problem(results, f"cold start: {error}")
    log("batch throughput")
    try:
        results.workers = has_workers_option()
        results.batch = batch(batch_messages, scratch, bundled_cache, results.workers,
                              settings.batch_rounds, net=not settings.smoke)
    except CHILD_FAILURES as error:
        problem(results, f"batch: {error}")


def problem(results: Results, message: str) -> None:
    """Note a failed measurement for the report, and say so at once on stderr."""
    message = " ".join(message.split())
    results.problems.append(message[:600])
    log(f"PROBLEM: {message}")


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------

def version(package: str) -> str:
    """An installed package's version, for the header: results depend on them."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def package_names() -> list[str]:
    """kfscript, the peers, kfscript's declared dependencies, and any other automaton it may use."""
    names = ["kfscript", "jieba", "pyahocorasick", "ahocorasick-rs", "flashtext"]
    try:
        required = importlib.metadata.requires("kfscript") or []
    except importlib.metadata.PackageNotFoundError:
        required = []
    for requirement in required:
        if "extra ==" in requirement:
            continue
        name = re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0]
        if name and name.lower() not in {n.lower() for n in names}:
            names.append(name)
    return names


def cpu_model() -> str:
    """The CPU's marketing name, so results from different machines are not compared blindly."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_state() -> str:
    """The commit measured, and whether the working tree differed from it (rules in flux)."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "src", "rules", "phrasebank")
    return f"{commit}" + (" + uncommitted changes in src/rules/phrasebank" if dirty else "")


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table, as lines."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def compiled_modules() -> list[str]:
    """kfscript's modules that run compiled by mypyc (none for a plain-Python install)."""
    return sorted(path.name.split(".")[0]
                  for path in Path(kfscript.__file__).parent.glob("*.so"))


def build_kind() -> str:
    """Which of kfscript's modules run compiled: the figures depend on it."""
    compiled = compiled_modules()
    if not compiled:
        return "plain Python (no module compiled by mypyc)"
    return f"modules compiled by mypyc: {', '.join(compiled)}"


def compiled_profile_note() -> list[str]:
    """cProfile cannot see inside functions mypyc compiled: say so, and how to see them."""
    if not compiled_modules():
        return []
    return ["Functions compiled by mypyc show only as the call into them (Matcher.classify); "
            "for a per-function breakdown, profile an install made with "
            "KFSCRIPT_PURE_PYTHON=1 (slower, same answers)."]


def header(results: Results) -> list[str]:
    """Machine, versions, commit, command and the messages: what a reader needs to redo it."""
    s = results.settings
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    packages = ", ".join(f"{name} {version(name)}" for name in package_names()
                         if version(name) != "not installed")
    lines = [
        "# kfscript benchmark results",
        "",
        f"- Machine: {cpu_model()}, {os.cpu_count()} cores ({affinity} usable), "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()})",
        f"- Packages: {packages}",
        f"- Date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- kfscript commit: {git_state()}; bundled rules: {results.bundled_rules} rules, "
        f"{results.bundled_terms:,} folded rule terms",
        f"- kfscript build: {build_kind()}",
        f"- Command: `{shlex.join([sys.executable, *sys.argv])}`",
        f"- Mode: {'smoke (tiny, numbers are noisy)' if s.smoke else 'full'}; seed {s.seed}",
        "",
        "## Messages",
        "",
        f"{results.message_count:,} distinct synthetic customer messages (templates and "
        f"vocabulary in run.py, seed {s.seed}), {results.traditional:,} of them "
        f"({results.traditional / results.message_count:.0%}) in traditional script; length "
        f"min/median/max {results.lengths[0]}/{results.lengths[1]}/{results.lengths[2]} "
        f"characters. Warm-up used {s.warmup} other messages. Examples:",
        "",
        *[f"- {text}" for text in results.samples],
        "",
    ]
    return lines


def ratio(value: float, base: float) -> str:
    """`value` as a multiple of `base`, or n/a when there is no base to divide by."""
    return f"{value / base:.2f}x" if base > 0 else "n/a"


def latency_tables(results: Results) -> list[str]:
    """One table per rule set, then kfscript's classify across the rule sets."""
    lines = [
        "## Per-message latency",
        "",
        "Median and p95 of one call per message, in microseconds; the ratios divide by "
        "jieba.lcut's median (and p95). On each rule set kfscript, jieba.lcut, flashtext and "
        "the bare automata are timed together, 500 messages at a time each in turn, so a "
        "busy spell on the machine slows all of them alike; the regex loop is timed after. "
        "kfscript and jieba.lcut get the raw message (kfscript's time includes folding); "
        "the regex loop, flashtext and the bare automaton get the folded message (folding "
        "not timed) and exactly the rule terms of that rule set: `engine.matcher.terms`, "
        "less any entries kfscript adds for its own bookkeeping. kfscript's automaton also "
        "holds jieba's dictionary words once its dictionary is loaded (it finds terms and word "
        "crossings in one pass), so an extra 'all entries' row scans those too. The "
        "regex loop's patterns are compiled once, outside the timing.",
        "",
    ]
    if results.memo:
        held, longest, bound = results.memo
        lines += [f"kfscript's segmenter remembers the word edges of short stretches (up to "
                  f"{longest} characters, at most {bound:,} of them): the pieces between "
                  f"positions no dictionary word crosses, not messages. After the bundled "
                  f"run it held {held:,}. Every message timed was distinct.", ""]
    for size in results.sizes:
        jieba_row = size.find("jieba.lcut")
        base_median = jieba_row.median_us if jieba_row else 0.0
        base_p95 = jieba_row.p95_us if jieba_row else 0.0
        rows = [[row.method, f"{row.messages:,}", f"{row.median_us:,.1f}", f"{row.p95_us:,.1f}",
                 ratio(row.median_us, base_median), ratio(row.p95_us, base_p95), row.note]
                for row in size.rows]
        rows += [[method, "-", "-", "-", "-", "-", why] for method, why in size.skipped]
        lines += [f"### Rules: {size.label} ({size.terms:,} rule terms; kfscript's automaton "
                  f"holds {size.entries:,} entries)", ""]
        lines += table(["method", "messages", "median µs", "p95 µs", "median / jieba",
                        "p95 / jieba p95", "note"], rows)
        lines.append("")
    base = results.sizes[0].find("kfscript classify") if results.sizes else None
    rows = []
    for size in results.sizes:
        row = size.find("kfscript classify")
        if row and base:
            rows.append([size.label, f"{size.terms:,}", f"{row.median_us:,.1f}",
                         f"{row.p95_us:,.1f}", ratio(row.median_us, base.median_us)])
    lines += ["### kfscript classify as the rule set grows", ""]
    lines += table(["rules", "rule terms", "median µs", "p95 µs", "median / bundled"], rows)
    lines.append("")
    return lines


def process_tables(results: Results) -> list[str]:
    """Cold start, build and memory, and batch throughput, each with how it was measured."""
    lines = ["## Cold start (fresh process each run)", "",
             "Wall time is measured around the whole child process (interpreter start "
             "included); 'inside' is from the first import to the end of the call; peak RSS "
             "is the child's own high-water mark (VmHWM; ru_maxrss would carry this "
             "process's peak over through exec). 'engine cache' says whether kfscript's "
             "on-disk cache already held the bundled engine (filled: as on every start after "
             "the first) or was empty (the first start after an install or a rule change). "
             "jieba's own dictionary cache in the temp folder is warm for every run.", ""]
    lines += table(["command", "engine cache", "runs", "wall s (median)", "inside s",
                    "peak RSS MB"],
                   [[f"`{c.name}`", c.cache, str(c.runs), f"{c.wall_s:.3f}",
                     f"{c.inside_s:.3f}", f"{c.peak_mb:.1f}"] for c in results.cold])
    hooks = ", ".join(results.cache_hooks) if results.cache_hooks else "none found"
    terms = {size.label: size.terms for size in results.sizes}
    lines += ["", "## Engine build and memory (fresh process each)", "",
              "`Engine.from_paths(...)` followed by one classify (of a message that needs word "
              "boundaries, so the dictionary is loaded too; 'from_paths' is the part before the "
              "classify), timed inside a fresh process that had already imported kfscript; "
              "memory is the RSS increase over that process just after the import ('peak' "
              "uses the high-water mark), in the first build's process unless said otherwise. "
              "'first build' "
              "starts from an empty cache folder; 'second start' is another fresh process on "
              "the cache folder the first one left. Cache variables found in the kfscript "
              f"source: {hooks}"
              + ("" if results.cache_hooks else " (so the second start is a full build again)")
              + ".", ""]
    lines += table(["rules", "rule terms", "automaton entries", "first build s",
                    "of which from_paths", "second start s", "of which from_paths",
                    "RSS added MB", "peak added MB", "RSS added MB, second start"],
                   [[b.label, f"{terms[b.label]:,}" if b.label in terms else "?",
                     f"{b.entries:,}", f"{b.first_s:.2f}", f"{b.first_load_s:.2f}",
                     f"{b.second_s:.2f}", f"{b.second_load_s:.2f}",
                     f"{b.rss_delta_mb:.1f}", f"{b.peak_delta_mb:.1f}",
                     f"{b.second_rss_delta_mb:.1f}"]
                    for b in results.builds])
    lines += ["", "## Batch throughput (`kfscript classify FILE`, bundled rules)", "",
              "Messages per second over a JSON-lines file; 'net' subtracts the wall time of "
              "the same command on a one-line file (process start and engine build); it is "
              "n/a in --smoke and when the file is too short for the difference to count."
              + ("" if results.workers else " `kfscript classify --help` lists no --workers "
                 "option, so only the single-process run is reported."), ""]
    lines += table(["command", "lines", "rounds", "wall s (median)", "messages/s",
                    "net messages/s"],
                   [[b.label, f"{b.lines:,}", str(b.rounds), f"{b.wall_s:.2f}",
                     f"{b.per_second:,.0f}",
                     f"{b.net_per_second:,.0f}" if b.net_per_second else "n/a"]
                    for b in results.batch])
    lines.append("")
    return lines


@dataclass(frozen=True)
class Target:
    """A goal and its verdict: True pass, False fail, None when it was not measured."""

    name: str
    goal: str
    measured: str
    passed: bool | None


def size_row(results: Results, terms: int | None, method: str) -> Latency | None:
    """The row of `method` on the bundled rules (terms None) or on the +terms rule set."""
    label = "bundled" if terms is None else f"+{terms:,} synthetic"
    size = next((s for s in results.sizes if s.label == label), None)
    return size.find(method) if size else None


def compare(name: str, goal: str, value: float | None, limit: float | None,
            higher_is_better: bool = False, unit: str = "x") -> Target:
    """A target from a measured value and its limit; missing numbers give 'not measured'."""
    if value is None or limit is None:
        return Target(name, goal, "not measured in this run", None)
    passed = value >= limit if higher_is_better else value <= limit
    shown = f"{value:,.2f}"
    if (float(shown.replace(",", "")) == limit) != (value == limit):
        shown = f"{value:,.4f}"  # 1.6993 must not read as a failing "1.70" against 1.7
    return Target(name, goal, f"{shown}{unit}", passed)


def div(a: float | None, b: float | None) -> float | None:
    """a / b, or None when either is missing (or b is zero): a target is then not measured."""
    return a / b if a is not None and b else None


def targets(results: Results) -> list[Target]:
    """The project's performance targets, computed from the measurements, never hand-written."""
    def median(terms: int | None, method: str) -> float | None:
        row = size_row(results, terms, method)
        return row.median_us if row else None

    jieba_median = median(None, "jieba.lcut")
    classify = median(None, "kfscript classify")
    at_10k = median(10_000, "kfscript classify")
    cold = {(c.name.split(";")[0], c.cache): c for c in results.cold}
    kf_cold = cold.get(("import kfscript", "filled"))
    jieba_cold = cold.get(("import jieba", "-"))
    build_100k = next((b for b in results.builds if b.label == "+100,000 synthetic"), None)
    runs = {b.label: b for b in results.batch}
    one, two = runs.get("--workers 1"), runs.get("--workers 2")
    return [
        compare("classify vs jieba.lcut (bundled)", "median <= 0.5x jieba.lcut",
                div(classify, jieba_median), 0.5),
        compare("suggest(k=3) vs jieba.lcut (bundled)", "median <= 1.0x jieba.lcut",
                div(median(None, "kfscript suggest(k=3)"), jieba_median), 1.0),
        compare("classify at +100,000 terms", "median <= 1.5x classify on bundled",
                div(median(100_000, "kfscript classify"), classify), 1.5),
        compare("regex loop / classify at +10,000", "classify >= 50x faster",
                div(median(10_000, "regex loop"), at_10k), 50.0, higher_is_better=True),
        compare("classify / flashtext at +10,000", "classify faster (< 1.0x)",
                div(at_10k, median(10_000, "flashtext")), 0.999999),
        compare("classify / bare pyahocorasick at +10,000", "within 4x",
                div(at_10k, median(10_000, "pyahocorasick (bare)")), 4.0),
        compare("cold start wall (filled cache) vs jieba.initialize process", "<= 0.35x",
                div(kf_cold.wall_s if kf_cold else None,
                    jieba_cold.wall_s if jieba_cold else None), 0.35),
        compare("cold start peak RSS (filled cache) vs jieba process", "<= 0.5x",
                div(kf_cold.peak_mb if kf_cold else None,
                    jieba_cold.peak_mb if jieba_cold else None), 0.5),
        # building and starting an engine is Engine.from_paths; the first classify after it
        # (which may load jieba's dictionary) is in the build table's total columns
        compare("first build (Engine.from_paths), +100,000 terms", "<= 10 s",
                build_100k.first_load_s if build_100k else None, 10.0, unit=" s"),
        compare("second start (Engine.from_paths), +100,000 terms", "<= 0.5 s",
                build_100k.second_load_s if build_100k else None, 0.5, unit=" s"),
        compare("RSS added by the +100,000-term engine", "<= 150 MB",
                build_100k.rss_delta_mb if build_100k else None, 150.0, unit=" MB"),
        compare("batch --workers 2 / --workers 1", ">= 1.7x",
                div(two.per_second if two else None, one.per_second if one else None), 1.7,
                higher_is_better=True),
    ]


def target_section(results: Results) -> list[str]:
    """The targets table and a one-line count."""
    found = targets(results)
    verdicts = {True: "pass", False: "FAIL", None: "n/a"}
    lines = ["## Targets", "",
             "Computed from the numbers above when this file was written.", ""]
    lines += table(["target", "goal", "measured", "verdict"],
                   [[t.name, t.goal, t.measured, verdicts[t.passed]] for t in found])
    passed = sum(1 for t in found if t.passed)
    failed = sum(1 for t in found if t.passed is False)
    lines += ["", f"{passed} passed, {failed} failed, {len(found) - passed - failed} not "
              "measured.", ""]
    return lines


def render(results: Results) -> str:
    """The whole Markdown report."""
    lines = header(results)
    if results.problems:
        lines += ["## Problems", "", "These measurements failed; their rows are missing below.",
                  "", *[f"- {text}" for text in results.problems], ""]
    lines += latency_tables(results) + process_tables(results) + target_section(results)
    if results.profile:
        profiled = min(PROFILE_MESSAGES, results.message_count)
        lines += ["## Where classify time goes", "",
                  f"cProfile over kfscript.classify on {profiled:,} messages (bundled rules), "
                  "top 10 by cumulative time and by own time (tottime); profiling inflates "
                  "the absolute numbers.", *compiled_profile_note(), "",
                  "```", results.profile, "```", ""]
    return "\n".join(lines)


def parse(argv: Sequence[str] | None = None) -> Settings:
    """Settings from the command line; smoke changes the defaults, explicit options still win."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true",
                        help="tiny run: ~300 messages, bundled + 1,000 terms, one cold start")
    parser.add_argument("--messages", type=int, help="timed messages (default 20,000)")
    parser.add_argument("--sizes", help="synthetic term counts, comma-separated "
                        "(default 1000,10000,100000; the bundled rules are always measured)")
    parser.add_argument("--batch-lines", type=int, help="JSON lines for the batch runs "
                        "(default 200,000; 500 with --smoke)")
    parser.add_argument("--batch-rounds", type=int, help="rounds per batch command, the "
                        "median reported (default 3; 1 with --smoke)")
    parser.add_argument("--out", type=Path, help="report path (default benchmarks/RESULTS.md; "
                        "with --smoke a temporary file)")
    parser.add_argument("--seed", type=int, default=SEED, help="message and word seed")
    args = parser.parse_args(argv)
    smoke = bool(args.smoke)
    messages = args.messages if args.messages is not None else (300 if smoke else 20_000)
    if messages < 1:
        parser.error("--messages must be at least 1")
    sizes_text = args.sizes if args.sizes is not None else (
        "1000" if smoke else "1000,10000,100000")
    try:
        sizes = tuple(int(part.replace("_", "")) for part in sizes_text.split(",") if part)
    except ValueError:
        parser.error(f"--sizes takes comma-separated integers, got {sizes_text!r}")
    if any(size < 1 for size in sizes):
        parser.error("--sizes must be positive")
    out = args.out
    if out is None:
        out = (Path(tempfile.gettempdir()) / "kfscript-bench-smoke.md") if smoke else DEFAULT_OUT
    batch_lines = args.batch_lines if args.batch_lines is not None else (
        500 if smoke else 200_000)
    if batch_lines < 1:
        parser.error("--batch-lines must be at least 1")
    # two processes on two shared cores are noisy: the median of three rounds (about 40 s
    # a round at 200,000 lines) is steadier than one
    rounds = args.batch_rounds if args.batch_rounds is not None else (1 if smoke else 3)
    if rounds < 1:
        parser.error("--batch-rounds must be at least 1")
    return Settings(smoke, messages, 100 if smoke else 200, sizes, 1 if smoke else 5,
                    batch_lines, rounds, out, args.seed)


def main(argv: Sequence[str] | None = None) -> int:
    """Run, write the report, and exit 1 if any measurement failed (the report says which)."""
    settings = parse(argv)
    started = time.perf_counter()
    results = run(settings)
    report = render(results)
    settings.out.parent.mkdir(parents=True, exist_ok=True)
    settings.out.write_text(report, encoding="utf-8")
    log(f"wrote {settings.out} in {time.perf_counter() - started:.0f} s")
    return 1 if results.problems else 0


if __name__ == "__main__":
    sys.exit(main())
