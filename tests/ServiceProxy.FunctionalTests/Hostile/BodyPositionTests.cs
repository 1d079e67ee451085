using ServiceProxy.Kubernetes.Manifests;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ServiceProxy.Host.Serialization;

namespace ServiceProxy.FunctionalTests.Hostile;

/// <summary>
/// Every JSON position of a full Service, Endpoints and Pod (each field, list item and map value)
/// replaced by null, a huge number, a wrong type and a deep nest, sent as JSON and YAML with POST and
/// PUT (and as a JSON merge patch) to the real host: each answer is a Status below 500, and the canary keeps serving.
/// </summary>
public sealed class BodyPositionTests
{
    private static readonly string[] Replacements = ["null", "1e400", "99999999999999999999", "-1.5", "true", "\"text\"", "{\"x\":[1]}", "[\"x\",null]", Nest(40), Nest(100)];

    public static TheoryData<string, string> Kinds => new()
    {
        { "services", """{"apiVersion":"v1","kind":"Service","metadata":{"name":"NAME","namespace":"default","labels":{"app":"walk"},"annotations":{"a":"b"},"generation":1,"creationTimestamp":"2024-01-02T03:04:05Z"},"spec":{"type":"ClusterIP","selector":{"app":"walk"},"ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":8080,"appProtocol":"http"},{"name":"dns","protocol":"UDP","port":53,"targetPort":"dns"}],"sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":60}},"ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","internalTrafficPolicy":"Cluster"},"status":{"loadBalancer":{"ingress":[{"ip":"127.0.0.2","hostname":"h"}]}}}""" },
        { "endpoints", """{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"NAME","labels":{"a":"b"}},"subsets":[{"addresses":[{"ip":"127.0.0.3","hostname":"h","nodeName":"n","targetRef":{"kind":"Pod","namespace":"default","name":"p","uid":"u","resourceVersion":"1"}}],"notReadyAddresses":[{"ip":"127.0.0.4"}],"ports":[{"name":"http","port":8080,"protocol":"TCP","appProtocol":"http"}]}]}""" },
        { "pods", """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"NAME","labels":{"app":"walk"}},"spec":{"nodeName":"n","hostname":"h","containers":[{"name":"c","image":"i","ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}]}]},"status":{"phase":"Running","podIP":"127.0.0.5","podIPs":[{"ip":"127.0.0.5"}],"conditions":[{"type":"Ready","status":"True"}]}}""" },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Every_position_replaced_by_null_huge_numbers_wrong_types_or_deep_nests_is_a_4xx(string resource, string sample)
    {
        await using var canary = await CanaryHost.StartAsync();
        var collection = $"/api/v1/namespaces/default/{resource}";
        var name = $"walk-{resource}";
        var baseline = sample.Replace("NAME", name, StringComparison.Ordinal);
        var (created, createdBody) = await SendAsync(canary, HttpMethod.Post, collection, baseline, "application/json");
        Assert.True(created == 201, $"the sample is not valid: {created} {createdBody}");

        var failures = new List<string>();
        var positions = Positions(JsonNode.Parse(baseline)!, string.Empty).ToList();
        Assert.True(positions.Count >= 20, $"only {positions.Count} positions");
        foreach (var position in positions)
        {
            foreach (var replacement in Replacements)
            {
                var mutated = Replace(baseline, position, replacement);
                foreach (var (contentType, body) in Encodings(mutated))
                {
                    var (post, postBody) = await SendAsync(canary, HttpMethod.Post, collection + "?dryRun=All", body, contentType);
                    var (put, putBody) = await SendAsync(canary, HttpMethod.Put, $"{collection}/{name}", body, contentType);
                    var (patch, patchBody) = contentType == "application/json"
                        ? await SendAsync(canary, HttpMethod.Patch, $"{collection}/{name}", body, "application/merge-patch+json")
                        : (200, string.Empty);
                    foreach (var (method, code, answer) in new[] { ("POST", post, postBody), ("PUT", put, putBody), ("PATCH", patch, patchBody) })
                    {
                        if (code >= 500 || (code >= 400 && !answer.Contains("\"kind\":\"Status\"", StringComparison.Ordinal)))
                        {
                            failures.Add($"{method} {contentType} {position} = {Abbreviate(replacement)}: {code} {Abbreviate(answer)}");
                        }
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {positions.Count * Replacements.Length * 5} requests failed:\n" + string.Join('\n', failures.Take(40)));
        await canary.AssertServingAsync();
    }

    /// <summary>JSON paths (<c>/spec/ports/0/port</c>) of every value below the root.</summary>
    private static IEnumerable<string> Positions(JsonNode node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    yield return $"{path}/{key}";
                    if (value is not null)
                    {
                        foreach (var inner in Positions(value, $"{path}/{key}"))
                        {
                            yield return inner;
                        }
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    yield return $"{path}/{i}";
                    foreach (var inner in Positions(array[i]!, $"{path}/{i}"))
                    {
                        yield return inner;
                    }
                }

                break;
        }
    }

    /// <summary>The document with the value at <paramref name="path"/> replaced by raw JSON text.</summary>
    private static string Replace(string json, string path, string replacement)
    {
        const string Marker = "\"__replace_me__\"";
        var root = JsonNode.Parse(json)!;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var parent = root;
        foreach (var segment in segments[..^1])
        {
            parent = parent is JsonArray list ? list[int.Parse(segment, System.Globalization.CultureInfo.InvariantCulture)]! : parent[segment]!;
        }

        if (parent is JsonArray array)
        {
            array[int.Parse(segments[^1], System.Globalization.CultureInfo.InvariantCulture)] = "__replace_me__";
        }
        else
        {
            parent[segments[^1]] = "__replace_me__";
        }

        return root.ToJsonString().Replace(Marker, replacement, StringComparison.Ordinal);
    }

    /// <summary>The JSON text, and the same document as YAML when it fits JSON's limits (a 100-deep nest does not).</summary>
    private static IEnumerable<(string ContentType, string Body)> Encodings(string json)
    {
        yield return ("application/json", json);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = 1000 });
        }
        catch (System.Text.Json.JsonException)
        {
            yield break;
        }

        yield return ("application/yaml", KubeYaml.ToYaml(node));
    }

    private static string Nest(int depth) => new string('[', depth) + new string(']', depth);

    private static string Abbreviate(string text) => text.Length <= 300 ? text : text[..300] + "...";

    private static async Task<(int Code, string Body)> SendAsync(CanaryHost canary, HttpMethod method, string path, string body, string contentType)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var response = await canary.Host.Http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
