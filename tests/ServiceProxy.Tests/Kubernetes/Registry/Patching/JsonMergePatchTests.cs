using System.Text.Json.Nodes;
using ServiceProxy.Kubernetes.Registry.Patching;

namespace ServiceProxy.Tests.Kubernetes.Registry.Patching;

public sealed class JsonMergePatchTests
{
    // The examples of RFC 7386, appendix A.
    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""["a","b"]""", """["c","d"]""", """["c","d"]""")]
    [InlineData("""{"a":"b"}""", """["c"]""", """["c"]""")]
    [InlineData("""{"a":"foo"}""", "null", "null")]
    [InlineData("""{"a":"foo"}""", "\"bar\"", "\"bar\"")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""[1,2]""", """{"a":"b","c":null}""", """{"a":"b"}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    public void Rfc7386_examples(string target, string patch, string expected)
    {
        var result = JsonMergePatch.Apply(JsonNode.Parse(target), JsonNode.Parse(patch));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), result?.ToJsonString());
    }

    [Fact]
    public void Inputs_are_not_modified()
    {
        var target = JsonNode.Parse("""{"spec":{"ports":[{"port":80}]}}""");
        var patch = JsonNode.Parse("""{"spec":{"type":"NodePort"}}""");

        JsonMergePatch.Apply(target, patch);

        Assert.Equal("""{"spec":{"ports":[{"port":80}]}}""", target!.ToJsonString());
        Assert.Equal("""{"spec":{"type":"NodePort"}}""", patch!.ToJsonString());
    }

    [Fact]
    public void A_cancelled_request_stops_merging()
    {
        Assert.Throws<OperationCanceledException>(() =>
            JsonMergePatch.Apply(JsonNode.Parse("""{"a":1}"""), JsonNode.Parse("""{"b":2}"""), new CancellationToken(canceled: true)));
    }
}
