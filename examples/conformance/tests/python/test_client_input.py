"""Elicitation, sampling, prompts and resources of the `conformance` example
server, as seen by the official Python MCP SDK.

Each test runs four times: over stdio and streamable HTTP, in the SDK's
default era (2026-07-28: the server answers with `InputRequiredResult` and
the SDK retries with the answers) and in the legacy era (2025-11-25: the
server sends `elicitation/create` and `sampling/createMessage` requests).
The agents are the same in both; only the wire differs.
"""

from __future__ import annotations

import json

import pytest
from conftest import EXPECTED_VERSION, Server, connect
from mcp import types
from mcp.shared.exceptions import MCPError

pytestmark = pytest.mark.anyio


def _text(result: types.CallToolResult) -> str:
    assert all(isinstance(block, types.TextContent) for block in result.content), result.content
    return "".join(block.text for block in result.content)


class Answers:
    """Callbacks that answer like a user and a model would, recording what they were asked."""

    def __init__(self, action: str = "accept", content: dict | None = None, reply: str = "Paris") -> None:
        self.action = action
        self.content = content if content is not None else {"username": "ada", "email": "ada@example.com"}
        self.reply = reply
        self.forms: list[types.ElicitRequestFormParams] = []
        self.samples: list[types.CreateMessageRequestParams] = []

    async def elicit(self, context, params: types.ElicitRequestParams) -> types.ElicitResult:
        assert isinstance(params, types.ElicitRequestFormParams), params
        self.forms.append(params)
        if self.action != "accept":
            return types.ElicitResult(action=self.action)
        return types.ElicitResult(action="accept", content=self.content)

    async def sample(self, context, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        self.samples.append(params)
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=self.reply),
            model="python-test-model",
            stopReason="endTurn",
        )

    def options(self) -> dict:
        return {"elicitation_callback": self.elicit, "sampling_callback": self.sample}


async def test_the_era_is_the_one_asked_for(server: Server, mode: str) -> None:
    async with connect(server, mode) as client:
        assert client.protocol_version == EXPECTED_VERSION[mode]


async def test_elicitation_is_answered_and_the_answer_reaches_the_agent(server: Server, mode: str) -> None:
    answers = Answers()
    async with connect(server, mode, **answers.options()) as client:
        result = await client.call_tool("test_elicitation", {"message": "Who are you?"})
    assert result.is_error is False, _text(result)
    text = _text(result)
    assert text.startswith("User response: <action: accept, content: "), text
    content = json.loads(text.removeprefix("User response: <action: accept, content: ").removesuffix(">"))
    assert content == {"username": "ada", "email": "ada@example.com"}
    # Asked once, whatever the era: in 2026-07-28 the agent is replayed with
    # the recorded answer instead of asking again.
    assert len(answers.forms) == 1
    form = answers.forms[0]
    assert form.message == "Who are you?"
    schema = form.requested_schema
    assert schema["type"] == "object"
    assert sorted(schema["required"]) == ["email", "username"]
    assert schema["properties"]["email"] == {"type": "string", "description": "User's email address"}


async def test_a_declined_form_is_reported_as_declined(server: Server, mode: str) -> None:
    answers = Answers(action="decline")
    async with connect(server, mode, **answers.options()) as client:
        result = await client.call_tool("test_elicitation", {"message": "Who are you?"})
    assert _text(result) == "User response: <action: decline, content: {}>"


async def test_a_form_with_every_kind_of_enum_round_trips(server: Server, mode: str) -> None:
    answers = Answers(
        content={
            "untitledSingle": "option2",
            "titledSingle": "value3",
            "legacyEnum": "opt1",
            "untitledMulti": ["option1", "option3"],
            "titledMulti": ["value2"],
        }
    )
    async with connect(server, mode, **answers.options()) as client:
        result = await client.call_tool("test_elicitation_sep1330_enums", {})
    assert result.is_error is False, _text(result)
    properties = answers.forms[0].requested_schema["properties"]
    assert properties["titledSingle"]["oneOf"][0] == {"const": "value1", "title": "First Option"}
    assert properties["titledMulti"]["items"]["anyOf"][2] == {"const": "value3", "title": "Third Choice"}
    assert properties["legacyEnum"]["enumNames"] == ["Option One", "Option Two", "Option Three"]
    text = _text(result)
    content = json.loads(text.split("content=", 1)[1])
    assert content["titledSingle"] == "value3" and content["untitledMulti"] == ["option1", "option3"]


async def test_sampling_asks_the_clients_model(server: Server, mode: str) -> None:
    answers = Answers(reply="Paris.")
    async with connect(server, mode, **answers.options()) as client:
        result = await client.call_tool("test_sampling", {"prompt": "Capital of France?"})
    assert result.is_error is False, _text(result)
    assert _text(result) == "LLM response: Paris."
    assert len(answers.samples) == 1
    sample = answers.samples[0]
    assert sample.max_tokens == 100
    assert sample.messages[0].role == "user"
    assert sample.messages[0].content.text == "Capital of France?"


async def test_without_callbacks_the_client_is_told_what_it_lacks(server: Server, mode: str) -> None:
    if mode == "legacy":
        # A 2025 session: the agents' own errors, as tool results.
        async with connect(server, mode) as client:
            elicited = await client.call_tool("test_elicitation", {"message": "Who are you?"})
            sampled = await client.call_tool("test_sampling", {"prompt": "Hi"})
        assert elicited.is_error is True
        assert "form elicitation" in _text(elicited)
        assert sampled.is_error is True
        assert "sampling" in _text(sampled)
        return
    # 2026: MissingRequiredClientCapabilityError (-32021) naming the capability (SEP-2575).
    for tool, arguments, required in [
        ("test_elicitation", {"message": "Who are you?"}, {"elicitation": {"form": {}}}),
        ("test_sampling", {"prompt": "Hi"}, {"sampling": {}}),
    ]:
        async with connect(server, mode) as client:
            with pytest.raises(MCPError) as raised:
                await client.call_tool(tool, arguments)
        assert raised.value.code == -32021, tool
        assert raised.value.data["requiredCapabilities"] == required, tool


async def test_prompts_resources_and_completion(server: Server, mode: str) -> None:
    async with connect(server, mode) as client:
        prompts = {prompt.name: prompt for prompt in (await client.list_prompts()).prompts}
        assert "test_prompt_with_arguments" in prompts
        arguments = prompts["test_prompt_with_arguments"].arguments
        assert [(a.name, a.required) for a in arguments] == [("arg1", True), ("arg2", True)]
        rendered = await client.get_prompt("test_prompt_with_arguments", {"arg1": "hello", "arg2": "world"})
        assert rendered.messages[0].content.text == "Prompt with arguments: arg1='hello', arg2='world'"

        templates = (await client.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == ["test://template/{id}/data"]
        read = await client.read_resource("test://template/42/data")
        assert json.loads(read.contents[0].text) == {"id": "42", "templateTest": True, "data": "Data for ID: 42"}
        binary = await client.read_resource("test://static-binary")
        assert binary.contents[0].mime_type == "image/png"

        completion = await client.complete(
            types.PromptReference(type="ref/prompt", name="test_prompt_with_arguments"),
            {"name": "arg1", "value": "par"},
        )
        assert completion.completion.values == ["paris", "park", "party"]
