"""A hotline's question-and-answer transcript read as what the answers say (`[dialogue]` in `data/lexicon.toml`).

A call-taker's transcript asks about a state and the caller answers yes or no: "接线员：有没有受伤？ 来电人：没有" says
he is not hurt, "Q: is he breathing? A: no" that he is not breathing. The question's own words are no state (asking
about drink says nothing of drink), so each question is replaced by the statement its answer makes of it: a no
negates it (没有受伤, "he is not breathing"), a yes affirms it, an answer that repeats the question's verb with a
negation (愿不愿意去？不愿意) is a no, one that restates it (喝酒了吗？应该是喝了) a yes, and any other answer
(叫不醒, "年轻人，二十来岁") is read alone. A hedged answer (好像是, 应该有, 好像没有了, "I think so", a bare
"probably") is its yes or no, as a hedged tip is read (the team checks),
while one that does not know (不知道, 没看清, "not sure") says nothing of the question. The text is read so only when
it holds both an asker's and an answerer's label; a question nobody answers is dropped. Without labels, a Chinese
A-not-A question answered yes or no right after it (有没有受伤？没受伤) is read so too (`read_asked`); unanswered, it stays
as written, a possible state the team checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CJK = re.compile(r"[\u3400-\u9fff]")
# What ends a question: its mark and Chinese question particles ("有没有受伤吗?", "叫得醒吗").
_QUESTION_END = re.compile(r"[\s?？。.!！,，]*$")
_ZH_PARTICLE = re.compile(r"(?:吗|呢|吧|啊|呀|么|没)+$")
# A-not-A questions collapse to the verb asked about: 有没有 -> 有, 愿不愿意 -> 愿意, 是不是 -> 是, 喝没喝 -> 喝.
_A_NOT_A = re.compile(r"([\u3400-\u9fff])[不没]\1")
# Asked with 没 (喝没喝酒), the question is of a deed done: its yes is said done (喝了酒), as a caller says it.
_DONE_ASKED = re.compile(r"([\u3400-\u9fff])没\1")
# The verb a Chinese statement negates, with its negation: the leftmost one in the question.
_ZH_HEADS = {"愿意": "不愿意", "知道": "不知道", "记得": "不记得", "认识": "不认识", "有": "没有", "是": "不是", "能": "不能",
             "会": "不会", "肯": "不肯", "要": "不要", "在": "不在"}
_ZH_HEAD = re.compile("|".join(sorted(_ZH_HEADS, key=len, reverse=True)))
_ZH_SUBJECT = re.compile(r"^(?:他|她|人|那人|对方|这人|那个人)")
# English questions open with an auxiliary and its subject ("is he breathing", "can you wake him", "has she been drinking").
_EN_AUX = ("is", "are", "was", "were", "has", "have", "had", "does", "do", "did", "can", "could", "will", "would")
_EN_INVERTED = re.compile(rf"^(?P<aux>{'|'.join(_EN_AUX)})\s+(?P<subj>(?:the|that|this|your)\s+[a-z]+|[a-z]+)(?P<rest>(?:\s.*)?)$")
_EN_ANY = re.compile(r"^any\s+")
# An A-not-A question in its own clause, and what follows it to the sentence's end: a caller asking and answering
# in one text ("他有没有受伤？没受伤，就是冷"), without the labels of a transcript.
_ASKED = re.compile(r"(?P<q>[^,，。！？?!.;；\n]*?([\u3400-\u9fff])[不没]\2[^,，。！？?!.;；\n]*?\?+)[^\S\n]*(?P<a>[^。！？?!.\n]+)")
_NEGATED_ECHO = re.compile(r"[不没]有?([\u3400-\u9fff]{2})")
_ANSWER_END = re.compile(r"[.。!！?？,，;；\s]*$|[.。!！?？,，;；]")


@dataclass(frozen=True)
class Dialogue:
    """`[dialogue]`: the asker's and the answerer's labels, and the answers that say yes or no."""

    labels: re.Pattern[str]  # any label with its colon, `asker` group set for the asker's
    yes: re.Pattern[str]
    no: re.Pattern[str]
    hedged: re.Pattern[str] | None = None  # a hedge opening an answer (好像, "probably"), with the space after it

    @classmethod
    def of(cls, asker: list[str], answerer: list[str], yes: list[str], no: list[str],
           hedged: list[str] | None = None) -> Dialogue:
        def words(listed: list[str]) -> str:
            return "|".join(re.escape(w) for w in sorted(listed, key=len, reverse=True))

        head = r"(?:^|(?<=[\s.。!！?？,，;；\n]))"
        labels = re.compile(rf"{head}(?:(?P<asker>{words(asker)})|(?P<answerer>{words(answerer)}))\s*:\s*")
        # An answer word ends the answer or its clause; Chinese ones may take a particle (没有了, 是的, 对啊).
        end = r"(?:了|啊|呀|的|吧)?(?=$|[\s.。!！?？,，;；])"
        hedge = re.compile(rf"^(?:{words(hedged)})(?![a-z])[^\S\n]*") if hedged else None
        return cls(labels, re.compile(rf"^(?:{words(yes)}){end}"), re.compile(rf"^(?:{words(no)}){end}"), hedge)

    def read(self, text: str) -> str:
        """`text` (folded) with each answered question said as its answer's statement; unchanged without both labels."""
        turns = [(m.start(), m.end(), m["asker"] is not None) for m in self.labels.finditer(text)]
        if not any(asks for _, _, asks in turns) or all(asks for _, _, asks in turns):
            return text
        parts = [text[:turns[0][0]]]
        question: str | None = None
        for n, (_, end, asks) in enumerate(turns):
            said = text[end:turns[n + 1][0] if n + 1 < len(turns) else len(text)].strip()
            if asks:
                question = _last_question(said)
                continue
            parts.append(self._answered(question, said) if question else said)
            question = None
        return "\n".join(p for p in parts if p.strip())

    def read_asked(self, text: str) -> str:
        """`text` (folded) with each A-not-A question that the next words answer yes or no (有没有受伤？没有, 喝没喝酒？喝了)
        said as the answer's statement, as a transcript's is; a question left unanswered stays as written (a possible
        state, which the team checks)."""
        def answered(match: re.Match[str]) -> str:
            said = self._answered(match["q"], match["a"].strip())
            return match.group() if said == match["a"].strip() else f"{said}"
        return _ASKED.sub(answered, text) if "?" in text else text

    def _answered(self, question: str, answer: str) -> str:
        """The statement an answer makes of its question, then the rest of the answer."""
        zh = bool(_CJK.search(question))
        body, done = _body(question, zh), _body(question, zh, done=True)
        asked = _A_NOT_A.search(question) if zh else None
        # an A-not-A question denied keeps its own negation (那个男的喝没喝酒 -> 那个男的没喝酒, 冷不冷 -> 不冷)
        denied = _A_NOT_A.sub(lambda m: m.group()[1:], _body(question, zh, asked=False)) if asked else _negated(body, zh)
        hedge = self.hedged.match(answer) if self.hedged is not None else None
        for said in (answer, answer[hedge.end():]) if hedge is not None else (answer,):
            if (no := self.no.match(said)) is not None:
                return f"{denied}\n{said[no.end():]}"
            if (yes := self.yes.match(said)) is not None:
                return f"{_affirmed(done, zh)}\n{said[yes.end():]}"
        if hedge is not None and _ANSWER_END.match(answer, hedge.end()):
            return f"{_affirmed(done, zh)}\n{answer[hedge.end():]}"  # a hedge alone ("probably"): a hedged yes
        verb = asked[1] if asked else _ZH_SUBJECT.sub("", body)[:1]
        if zh and verb and re.match(rf"[不没]有?{re.escape(verb)}", answer):
            return f"{denied}\n{answer}"  # the verb echoed with a negation: 愿不愿意去？不愿意
        if zh and (echo := _NEGATED_ECHO.match(answer)) is not None and echo[1] in body:
            return f"{denied}\n{answer}"  # its word echoed with a negation: 有没有受伤？没受伤
        said = answer[hedge.end():] if hedge is not None else answer
        if zh and verb and not _ZH_HEAD.match(verb) and re.match(rf"是?{re.escape(verb)}", said):
            # the verb restated, hedged or not (喝酒了吗？应该是喝了, 喝了), is a yes; an auxiliary (有, 是, 能) is
            # answered by the yes words, so 有没有受伤？好像有人陪着 stays read alone
            return f"{_affirmed(done, zh)}\n{said}"
        return answer


def _last_question(said: str) -> str:
    """The question an asker's turn ends with ("好的。他有没有受伤?" asks 他有没有受伤)."""
    sentences = [s for s in re.split(r"(?<=[?？。.!！])\s*", said) if s.strip()]
    return sentences[-1] if sentences else said


def _body(question: str, zh: bool, done: bool = False, asked: bool = True) -> str:
    """The question without its mark and particles, an A-not-A question as its verb (`done`: a 没 one as done, 喝了酒;
    not `asked`: as asked)."""
    body = _QUESTION_END.sub("", question)
    if zh:
        body = _ZH_PARTICLE.sub("", body)
        if done:
            body = _DONE_ASKED.sub(lambda m: m.group() if m[1] in _ZH_HEADS else f"{m[1]}了", body)
        return _A_NOT_A.sub(r"\1", body) if asked else body
    return body


def _negated(body: str, zh: bool) -> str:
    """The question said as a denial: 有伤 -> 没有伤, 是小孩 -> 不是小孩, "is he breathing" -> "he is not breathing"."""
    if zh:
        if (head := _ZH_HEAD.search(body)) is not None:
            return f"{body[:head.start()]}{_ZH_HEADS[head.group()]}{body[head.end():]}"
        subject = _ZH_SUBJECT.match(body)
        at = subject.end() if subject else 0
        return f"{body[:at]}没{body[at:]}"
    if (inverted := _EN_INVERTED.match(body)) is not None:
        aux = inverted["aux"]
        return f"{inverted['subj']} {'cannot' if aux == 'can' else aux + ' not'}{inverted['rest']}"
    if (anything := _EN_ANY.match(body)) is not None:
        return f"no {body[anything.end():]}"
    return f"not {body}"


def _affirmed(body: str, zh: bool) -> str:
    """The question said as a statement: "is he breathing" -> "he is breathing"; a Chinese one as asked."""
    if not zh and (inverted := _EN_INVERTED.match(body)) is not None:
        return f"{inverted['subj']} {inverted['aux']}{inverted['rest']}"
    if not zh and (anything := _EN_ANY.match(body)) is not None:
        return body[anything.end():]
    return body
