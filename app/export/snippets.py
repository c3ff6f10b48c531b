"""The Python SDK snippets (openai, anthropic, dashscope): a runnable file that makes one
call with the profile's URL and model, the key read from the environment (or, only when
asked, written in).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.clients.variables import anthropic_model
from app.export.header import NO_ANTHROPIC_MODEL_COMMENT, header_lines
from app.export.rules import clean

if TYPE_CHECKING:
    from app.config.schema import Profile
    from app.core.catalog import Catalog
    from app.secrets.key import ApiKey


def python_snippet(profile: Profile, sdk: str, key: ApiKey | None, catalog: Catalog) -> str:
    own = profile.api_key.env
    key_expr = repr(clean(key.reveal(), "key")) if key is not None else f"os.environ[{own!r}]"
    head = "\n".join(header_lines(profile, "#", key is not None))
    urls = profile.base_urls
    model = profile.model
    served = anthropic_model(profile, catalog)
    anthropic_expr = repr(served) if served else 'os.environ["ANTHROPIC_MODEL"]'
    if sdk == "anthropic" and served is None:
        head += "\n" + NO_ANTHROPIC_MODEL_COMMENT
    if sdk == "openai":
        body = f"""import os

from openai import OpenAI

client = OpenAI(
    api_key={key_expr},
    base_url={urls["openai"]!r},
)
response = client.chat.completions.create(
    model={model!r},
    messages=[{{"role": "user", "content": "Hello"}}],
)
print(response.choices[0].message.content)
"""
    elif sdk == "anthropic":
        body = f"""import os

import anthropic

client = anthropic.Anthropic(
    api_key={key_expr},
    base_url={urls["anthropic"]!r},
)
message = client.messages.create(
    model={anthropic_expr},
    max_tokens=256,
    messages=[{{"role": "user", "content": "Hello"}}],
)
print(message.content[0].text)
"""
    else:
        body = f"""import os

import dashscope
from dashscope import Generation

dashscope.base_http_api_url = {urls["dashscope"]!r}

response = Generation.call(
    api_key={key_expr},
    model={model!r},
    messages=[{{"role": "user", "content": "Hello"}}],
    result_format="message",
)
print(response.output.choices[0].message.content)
"""
    return f"{head}\n{body}"
