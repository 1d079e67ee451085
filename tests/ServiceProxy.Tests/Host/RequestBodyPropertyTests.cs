using ServiceProxy.Kubernetes.Manifests;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Microsoft.AspNetCore.Http;
using ServiceProxy.Host.Admin;
using ServiceProxy.Host.Serialization;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Host;

/// <summary>
/// Property tests of the admin API's body decoding (JSON and YAML, each fieldValidation mode): any
/// body is an object that validates without throwing, or an <see cref="ApiException"/> with a 4xx Status.
/// </summary>
public class RequestBodyPropertyTests
{
    private static readonly string[] Samples =
    [
        """{"apiVersion":"v1","kind":"Service","metadata":{"name":"s","labels":{"app":"a"},"annotations":{"x":"y"}},"spec":{"type":"NodePort","selector":{"app":"a"},"ports":[{"name":"http","port":80,"targetPort":"http","nodePort":30080}],"sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":60}},"externalIPs":["10.0.0.1"]},"status":{"loadBalancer":{"ingress":[{"ip":"1.2.3.4"}]}}}""",
        """{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"s"},"subsets":[{"addresses":[{"ip":"127.0.0.3","targetRef":{"kind":"Pod","name":"p"}}],"notReadyAddresses":[{"ip":"127.0.0.4"}],"ports":[{"name":"http","port":8080}]}]}""",
        """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","creationTimestamp":"2024-01-02T03:04:05Z","generation":3},"spec":{"containers":[{"name":"c","image":"i","ports":[{"name":"http","containerPort":8080}]}]},"status":{"podIP":"127.0.0.5","podIPs":[{"ip":"127.0.0.5"}],"conditions":[{"type":"Ready","status":"True"}]}}""",
    ];

    private static readonly string[] Values =
    [
        "null", "0", "-1", "65536", "2147483648", "-9223372036854775809", "99999999999999999999", "1e400", "-1e400", "80.0", "8e1", "true", "false", "\"\"", "\"x\"",
        "\"\\ud800\"", "\"80\"", "{}", "[]", "[null]", "{\"a\":null}", "[[]]", "{\"port\":\"x\"}", new string('[', 70) + new string(']', 70), new string('[', 20) + new string(']', 20),
    ];

    private static readonly Gen<(string Json, int Position, string Value)> Mutations =
        Gen.Select(Gen.OneOf(Samples), Gen.Int[0, 200], Gen.OneOf(Values));

    [Fact]
    public async Task Any_json_or_yaml_body_decodes_and_validates_or_is_a_4xx()
    {
        var bodies = Gen.Frequency(
            (6, Mutations.Select(m => Mutate(m.Json, m.Position, m.Value))),
            (1, Gen.OneOf(Samples).Select(s => s.Replace("{\"name\"", "{\"name\":\"dup\",\"name\"", StringComparison.Ordinal))),
            (1, Gen.String.Select(s => s)));
        var modes = Gen.OneOf("", "?fieldValidation=Strict", "?fieldValidation=Warn", "?fieldValidation=Ignore");
        var types = Gen.OneOf("application/json", "application/yaml");

        await Gen.Select(bodies, modes, types).SampleAsync(async (body, mode, type) =>
        {
            var text = type == "application/yaml" && TryYaml(body) is { } yaml ? yaml : body;
            await DecodeAsync(Encoding.UTF8.GetBytes(text), type, mode);
        }, iter: 3000, print: t => JsonSerializer.Serialize(t));
    }

    [Fact]
    public async Task Random_bytes_are_decoded_or_a_4xx()
    {
        await Gen.Select(Gen.Byte.Array[0, 200], Gen.OneOf("application/json", "application/yaml"))
            .SampleAsync((bytes, type) => DecodeAsync(bytes, type, string.Empty), iter: 2000);
    }

    private static async Task DecodeAsync(byte[] body, string contentType, string query)
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = contentType;
        context.Request.Body = new MemoryStream(body);
        context.Request.QueryString = new QueryString(query.Length == 0 ? null : query);
        try
        {
            var node = await RequestBody.ReadJsonAsync(context.Request, RequestBody.AcceptedMediaTypes, CancellationToken.None);
            var kind = (node as JsonObject)?["kind"] is JsonValue kindValue && kindValue.GetValueKind() == JsonValueKind.String ? kindValue.ToString() : "Service";
            var resource = KubeResource.OfKind(kind) ?? KubeResource.All[0];
            var obj = RequestBody.Decode(context, node, resource);
            var validator = ObjectValidator.Default;
            validator.Validate(validator.ApplyDefaults(obj));
        }
        catch (ApiException e)
        {
            Assert.InRange(e.Status.Code, 400, 499);
            Assert.False(string.IsNullOrEmpty(e.Status.Message));
        }
    }

    /// <summary>The JSON text with its <paramref name="position"/>-th value (any field, list item or map value) replaced by raw text.</summary>
    private static string Mutate(string json, int position, string value)
    {
        const string Marker = "__replace_me__";
        var root = JsonNode.Parse(json)!;
        var values = new List<(JsonNode Parent, object Key)>();
        var pending = new Stack<JsonNode>([root]);
        while (pending.TryPop(out var node))
        {
            if (node is JsonObject obj)
            {
                foreach (var (key, child) in obj)
                {
                    values.Add((obj, key));
                    if (child is not null)
                    {
                        pending.Push(child);
                    }
                }
            }
            else if (node is JsonArray array)
            {
                for (var i = 0; i < array.Count; i++)
                {
                    values.Add((array, i));
                    pending.Push(array[i]!);
                }
            }
        }

        var (parent, at) = values[position % values.Count];
        if (at is int index)
        {
            parent.AsArray()[index] = Marker;
        }
        else
        {
            parent.AsObject()[(string)at] = Marker;
        }

        return root.ToJsonString().Replace($"\"{Marker}\"", value, StringComparison.Ordinal);
    }

    private static string? TryYaml(string json)
    {
        try
        {
            return KubeYaml.ToYaml(JsonBodyReader.Parse(json, []));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null; // not JSON the server would read: sent as is
        }
    }
}
