//! What `tools/list` and `tools/call` carry besides names: titles, icons and
//! annotations, JSON Schema 2020-12 input schemas that reach the client as
//! built (`$schema`, `$defs`, `$ref`, `additionalProperties`), content
//! results, and the server's own title and icons. Both eras, over HTTP.

use agentwire::prelude::*;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, ProtocolVersion, object};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

/// Where to ship.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Address {
    street: String,
    city: String,
}

/// Ships a parcel.
#[agent(
    title = "Ship",
    icon = "https://example.com/box.svg",
    destructive,
    open_world = false,
    deny_unknown_arguments
)]
async fn ship(
    /// The recipient's address.
    to: Address,
    /// Kilograms.
    weight: f64,
) -> String {
    format!("{weight} kg to {}, {}", to.street, to.city)
}

/// Draws a picture with a caption.
#[agent]
async fn draw() -> Vec<Content> {
    vec![
        Content::text("a picture:"),
        Content::image_bytes([0xff, 0x00], "image/png"),
        Content::resource("memo://caption", ResourceContent::text("a caption")),
        Content::resource_link("memo://big", "big"),
    ]
}

async fn start() -> HttpServer {
    let registry = Registry::collect().expect("agents are registered");
    let mut identity = ServerIdentity::new("metadata-test", "1.0.0");
    identity.title = Some("Metadata Test".to_owned());
    identity.icons = vec!["https://example.com/logo.png".to_owned()];
    let server = AgentServer::new(registry, identity);
    HttpServer::bind(
        server,
        "127.0.0.1:0".parse().unwrap(),
        HttpOptions::default(),
    )
    .await
    .expect("bind a free loopback port")
}

async fn connect(server: &HttpServer, legacy: bool) -> RunningService<RoleClient, ()> {
    let transport =
        StreamableHttpClientTransport::from_uri(format!("http://{}/mcp", server.local_addr()));
    if legacy {
        ().serve(transport).await.expect("initialize")
    } else {
        ().serve_with_lifecycle(
            transport,
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        )
        .await
        .expect("server/discover")
    }
}

async fn call(
    client: &RunningService<RoleClient, ()>,
    tool: &'static str,
    args: Value,
) -> CallToolResult {
    client
        .call_tool(CallToolRequestParams::new(tool).with_arguments(object(args)))
        .await
        .expect("the call completes")
}

#[tokio::test]
async fn titles_icons_annotations_and_2020_12_schemas_reach_the_client_as_built() {
    let server = start().await;
    let registry = Registry::collect().unwrap();
    let built = registry.tool("ship").unwrap().clone();
    for legacy in [true, false] {
        let client = connect(&server, legacy).await;
        let info = client
            .peer_info()
            .unwrap()
            .server_info
            .clone()
            .expect("server info");
        assert_eq!(info.title.as_deref(), Some("Metadata Test"));
        assert_eq!(
            info.icons.as_ref().unwrap()[0].src,
            "https://example.com/logo.png"
        );

        let tools = client.list_all_tools().await.unwrap();
        let ship = tools.iter().find(|t| t.name == "ship").unwrap();
        assert_eq!(ship.title.as_deref(), Some("Ship"));
        let icon = &ship.icons.as_ref().expect("icons")[0];
        assert_eq!(
            (icon.src.as_str(), icon.mime_type.as_deref()),
            ("https://example.com/box.svg", Some("image/svg+xml"))
        );
        let annotations = ship.annotations.as_ref().expect("annotations");
        assert_eq!(annotations.destructive_hint, Some(true));
        assert_eq!(annotations.open_world_hint, Some(false));
        assert_eq!(annotations.read_only_hint, None);

        let schema = Value::Object((*ship.input_schema).clone());
        assert_eq!(
            schema,
            Value::Object((*built.input_schema).clone()),
            "unchanged on the wire (legacy: {legacy})"
        );
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(schema["properties"]["to"]["$ref"], "#/$defs/Address");
        assert_eq!(
            schema["properties"]["to"]["description"],
            "The recipient's address."
        );
        assert_eq!(schema["$defs"]["Address"]["additionalProperties"], false);
        assert_eq!(schema["required"], json!(["to", "weight"]));
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn deny_unknown_arguments_refuses_a_call_naming_the_argument() {
    let server = start().await;
    for legacy in [true, false] {
        let client = connect(&server, legacy).await;
        let address = json!({"street": "1 Main St", "city": "Springfield"});
        let fine = call(&client, "ship", json!({"to": address, "weight": 2.5})).await;
        assert_eq!(fine.is_error, Some(false));
        let typo = call(&client, "ship", json!({"to": address, "wieght": 2.5})).await;
        assert_eq!(typo.is_error, Some(true));
        let text = typo.content[0].as_text().unwrap().text.clone();
        assert!(
            text.contains("unknown argument `wieght`") && text.contains("`weight`"),
            "{text}"
        );
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn content_results_arrive_as_content_blocks_without_structured_content() {
    let server = start().await;
    let registry = Registry::collect().unwrap();
    let draw = registry.tool("draw").unwrap();
    assert!(draw.output_schema.is_none(), "content has no output schema");
    assert!(
        !draw.input_schema.contains_key("$schema"),
        "a flat schema does not name its dialect"
    );
    for legacy in [true, false] {
        let client = connect(&server, legacy).await;
        let result = call(&client, "draw", json!({})).await;
        assert_eq!(result.is_error, Some(false));
        assert!(result.structured_content.is_none());
        let blocks = serde_json::to_value(&result.content).unwrap();
        assert_eq!(blocks[0], json!({"type": "text", "text": "a picture:"}));
        assert_eq!(
            blocks[1],
            json!({"type": "image", "data": "/wA=", "mimeType": "image/png"})
        );
        assert_eq!(
            blocks[2],
            json!({"type": "resource", "resource": {"uri": "memo://caption", "mimeType": "text/plain", "text": "a caption"}})
        );
        assert_eq!(
            blocks[3],
            json!({"type": "resource_link", "uri": "memo://big", "name": "big"})
        );
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}
