using ServiceProxy.Kubernetes.Manifests;
using ServiceProxy.Kubernetes.Labels;
using System.Text.Json.Nodes;
using ServiceProxy.Host.Admin;
using ServiceProxy.Host.Cli;
using ServiceProxy.Host.Serialization;

namespace ServiceProxy.Tests.Host;

public class CliFormattingTests
{
    [Fact]
    public void Invalid_status_reads_like_kubectl()
    {
        var status = JsonNode.Parse("""
            {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","reason":"Invalid","code":422,
             "message":"Service \"myapp\" is invalid: spec.sessionAffinity: Unsupported value: \"ClusterIP\": supported values: \"ClientIP\", \"None\"",
             "details":{"name":"myapp","kind":"Service","causes":[{"reason":"FieldValueNotSupported","message":"Unsupported value: \"ClusterIP\": supported values: \"ClientIP\", \"None\"","field":"spec.sessionAffinity"}]}}
            """);

        Assert.Equal(
            "The Service \"myapp\" is invalid: spec.sessionAffinity: Unsupported value: \"ClusterIP\": supported values: \"ClientIP\", \"None\"",
            ServerErrors.Format(422, status));
    }

    [Fact]
    public void Several_causes_are_listed_one_per_line()
    {
        var status = JsonNode.Parse("""
            {"kind":"Status","reason":"Invalid","details":{"name":"redis","kind":"Service","causes":[
              {"field":"spec.ports[0].name","message":"Required value"},{"field":"spec.ports[1].port","message":"Required value"}]}}
            """);

        Assert.Equal("The Service \"redis\" is invalid: \n* spec.ports[0].name: Required value\n* spec.ports[1].port: Required value", ServerErrors.Format(422, status));
    }

    [Fact]
    public void Other_statuses_read_error_from_server()
    {
        var status = ApiStatus.NotFound("services", "nope");
        var json = System.Text.Json.JsonSerializer.SerializeToNode(status, ServiceProxy.Kubernetes.Model.KubeJson.Options);

        Assert.Equal("Error from server (NotFound): services \"nope\" not found", ServerErrors.Format(404, json));
        Assert.StartsWith("error: the server responded with the status code 502", ServerErrors.Format(502, null), StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_patch_sets_changes_removes_dropped_fields_and_ignores_server_defaults()
    {
        var original = JsonNode.Parse("""{"metadata":{"name":"a","labels":{"x":"1"}},"spec":{"ports":[{"port":80}],"sessionAffinity":"ClientIP"}}""")!.AsObject();
        var modified = JsonNode.Parse("""{"metadata":{"name":"a"},"spec":{"ports":[{"port":80}],"type":"NodePort"}}""")!.AsObject();
        var live = JsonNode.Parse("""{"metadata":{"name":"a","labels":{"x":"1"},"uid":"u"},"spec":{"ports":[{"port":80,"protocol":"TCP","nodePort":30080}],"sessionAffinity":"ClientIP","clusterIP":"127.100.0.1","type":"ClusterIP"}}""")!.AsObject();

        var patch = ApplyPatch.Compute(original, modified, live);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"metadata":{"labels":null},"spec":{"sessionAffinity":null,"type":"NodePort"}}"""), patch), patch?.ToJsonString());
        Assert.Null(ApplyPatch.Compute(modified, modified, JsonNode.Parse("""{"metadata":{"name":"a"},"spec":{"ports":[{"port":80,"protocol":"TCP"}],"type":"NodePort","clusterIP":"x"}}""")!.AsObject()));
    }

    [Fact]
    public void Yaml_round_trips_through_json_with_kubernetes_scalars()
    {
        var node = ManifestReader.ParseSingle("""
            a: 1
            b: "1"
            c: true
            d: ~
            e: "text with: colon"
            f: [x, y, "y", on, off]
            g: 1.5
            """);

        // YAML 1.1 scalars, as sigs.k8s.io/yaml reads them for kubectl and kube-apiserver (and run -f here).
        Assert.Equal("""{"a":1,"b":"1","c":true,"d":null,"e":"text with: colon","f":["x",true,"y",true,false],"g":1.5}""", node!.ToJsonString());
        Assert.Equal("- \"yes\"\n- \"on\"\n- \"n\"\n- plain\n", KubeYaml.ToYaml(JsonNode.Parse("""["yes","on","n","plain"]""")));
        Assert.Equal("a: 1\nb: \"1\"\nc: true\nd: null\ne: \"text with: colon\"\n", KubeYaml.ToYaml(JsonNode.Parse("""{"b":"1","a":1,"c":true,"d":null,"e":"text with: colon"}""")));
        Assert.Equal("items:\n- name: x\n  port: 80\n- plain\n", KubeYaml.ToYaml(JsonNode.Parse("""{"items":[{"name":"x","port":80},"plain"]}""")));
    }

    [Fact]
    public void Bad_yaml_reports_its_line()
    {
        var error = Assert.Throws<FormatException>(() => ManifestReader.ReadDocuments("a: 1\nb: [unclosed\n"));
        Assert.StartsWith("line ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("app=myapp", true)]
    [InlineData("app==myapp,release=canary", true)]
    [InlineData("app!=myapp", false)]
    [InlineData("tier", false)]
    [InlineData("!tier", true)]
    [InlineData("app in (myapp, other),release notin (stable)", true)]
    [InlineData("release in (stable)", false)]
    public void Label_selectors_match_like_kubernetes(string selector, bool expected)
    {
        var labels = new Dictionary<string, string> { ["app"] = "myapp", ["release"] = "canary" };
        Assert.Equal(expected, LabelSelector.Parse(selector).Matches(labels));
    }

    [Fact]
    public void Json_patch_operations_apply_in_order_and_a_failed_test_throws()
    {
        var document = JsonNode.Parse("""{"spec":{"ports":[{"port":80}],"sessionAffinity":"None"}}""");
        var patched = JsonPatch.Apply(document, JsonNode.Parse("""
            [{"op":"test","path":"/spec/sessionAffinity","value":"None"},
             {"op":"replace","path":"/spec/sessionAffinity","value":"ClientIP"},
             {"op":"add","path":"/spec/ports/-","value":{"port":443}},
             {"op":"remove","path":"/spec/ports/0"}]
            """)!);

        Assert.Equal("""{"spec":{"ports":[{"port":443}],"sessionAffinity":"ClientIP"}}""", patched!.ToJsonString());
        Assert.Throws<FormatException>(() => JsonPatch.Apply(document, JsonNode.Parse("""[{"op":"test","path":"/spec/sessionAffinity","value":"x"}]""")!));
        Assert.Throws<FormatException>(() => JsonPatch.Apply(document, JsonNode.Parse("""[{"op":"remove","path":"/nope"}]""")!));
    }

    [Fact]
    public void Kubeconfig_points_at_the_server_with_the_token()
    {
        var text = KubeconfigCommand.Render("http://127.0.0.1:8080", "t0k", "default");

        Assert.Contains("    server: http://127.0.0.1:8080\n", text, StringComparison.Ordinal);
        Assert.Contains("current-context: svcproxy\n", text, StringComparison.Ordinal);
        Assert.Contains("    token: t0k\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Kubeconfig_embeds_the_certificate_authority_or_skips_verification()
    {
        var withAuthority = KubeconfigCommand.Render("https://127.0.0.1:6443", null, "default", "PEM"u8.ToArray());
        var insecure = KubeconfigCommand.Render("https://127.0.0.1:6443", null, "default", insecureSkipTlsVerify: true);

        Assert.Contains("    certificate-authority-data: UEVN\n", withAuthority, StringComparison.Ordinal);
        Assert.DoesNotContain("insecure-skip-tls-verify", withAuthority, StringComparison.Ordinal);
        Assert.Contains("    insecure-skip-tls-verify: true\n", insecure, StringComparison.Ordinal);
    }
}
