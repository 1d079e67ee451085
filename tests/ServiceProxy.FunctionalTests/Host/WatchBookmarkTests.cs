using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace ServiceProxy.FunctionalTests.Host;

/// <summary>What a node following this API needs of its watches, as kube-apiserver gives it: bookmarks, refusals, deletions after a resume.</summary>
public sealed class WatchBookmarkTests : IAsyncLifetime
{
    private HostProcess _host = null!;

    public async Task InitializeAsync() => _host = await HostProcess.StartAsync(["--roles", "api,controllers"]);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("/api/v1/services", "Service", "v1")]
    [InlineData("/apis/discovery.k8s.io/v1/endpointslices", "EndpointSlice", "discovery.k8s.io/v1")]
    public async Task A_watch_with_allowWatchBookmarks_ends_its_timeout_with_a_bookmark_of_the_last_version_delivered(string path, string kind, string apiVersion)
    {
        await Post("/api/v1/namespaces/default/services", """{"apiVersion":"v1","kind":"Service","metadata":{"name":"bm"},"spec":{"ports":[{"port":80}]}}""");
        await Post("/api/v1/namespaces/default/endpoints", """{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"bm"},"subsets":[{"addresses":[{"ip":"10.9.0.1"}],"ports":[{"port":80}]}]}""");
        var version = long.Parse(JsonNode.Parse(await _host.Http.GetStringAsync(path))!["metadata"]!["resourceVersion"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture);

        var lines = (await _host.Http.GetStringAsync($"{path}?watch=true&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion={version}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();

        var bookmark = Assert.Single(lines);
        Assert.Equal("BOOKMARK", bookmark["type"]!.ToString());
        Assert.Equal((kind, apiVersion), (bookmark["object"]!["kind"]!.ToString(), bookmark["object"]!["apiVersion"]!.ToString()));
        Assert.Equal(version.ToString(System.Globalization.CultureInfo.InvariantCulture), bookmark["object"]!["metadata"]!["resourceVersion"]!.ToString());

        // Without allowWatchBookmarks, no bookmark.
        Assert.Equal(string.Empty, await _host.Http.GetStringAsync($"{path}?watch=true&timeoutSeconds=1&resourceVersion={version}"));
    }

    [Fact]
    public async Task A_watch_from_beyond_the_current_version_is_504_Too_large_resource_version()
    {
        using var response = await _host.Http.GetAsync("/api/v1/services?watch=true&resourceVersion=999999999");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Timeout", status["reason"]!.ToString());
        Assert.StartsWith("Too large resource version: 999999999, current: ", status["message"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_endpointslice_watch_resumed_from_a_version_reports_the_slices_of_Endpoints_deleted_after_it()
    {
        await Post("/api/v1/namespaces/default/endpoints", """{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"gone"},"subsets":[{"addresses":[{"ip":"10.9.0.2"}],"ports":[{"port":80}]}]}""");
        var slices = JsonNode.Parse(await _host.Http.GetStringAsync("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name%3Dgone"))!;
        var name = slices["items"]![0]!["metadata"]!["name"]!.ToString();
        var version = slices["metadata"]!["resourceVersion"]!.ToString();
        using (var deleted = await _host.Http.DeleteAsync("/api/v1/namespaces/default/endpoints/gone"))
        {
            Assert.True(deleted.IsSuccessStatusCode);
        }

        var events = (await _host.Http.GetStringAsync($"/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?watch=true&timeoutSeconds=1&resourceVersion={version}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();

        var deletion = Assert.Single(events);
        Assert.Equal(("DELETED", name), (deletion["type"]!.ToString(), deletion["object"]!["metadata"]!["name"]!.ToString()));
    }

    [Fact]
    public async Task An_endpointslice_watch_resumed_from_a_version_reports_a_slice_that_vanished_when_its_Endpoints_changed()
    {
        // Two slices: one per address family.
        await Post("/api/v1/namespaces/default/endpoints", """{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"shrinks"},"subsets":[{"addresses":[{"ip":"10.9.0.3"},{"ip":"fd00::3"}],"ports":[{"port":80}]}]}""");
        var slices = JsonNode.Parse(await _host.Http.GetStringAsync("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name%3Dshrinks"))!;
        var v6 = slices["items"]!.AsArray().Single(s => s!["addressType"]!.ToString() == "IPv6")!["metadata"]!["name"]!.ToString();
        var version = slices["metadata"]!["resourceVersion"]!.ToString();
        using (var content = new StringContent("""{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"shrinks"},"subsets":[{"addresses":[{"ip":"10.9.0.3"}],"ports":[{"port":80}]}]}""", Encoding.UTF8, "application/json"))
        using (var put = await _host.Http.PutAsync("/api/v1/namespaces/default/endpoints/shrinks", content))
        {
            Assert.True(put.IsSuccessStatusCode);
        }

        var events = (await _host.Http.GetStringAsync($"/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?watch=true&timeoutSeconds=1&resourceVersion={version}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();

        Assert.Contains(events, e => e["type"]!.ToString() == "DELETED" && e["object"]!["metadata"]!["name"]!.ToString() == v6);
        var v4 = Assert.Single(events, e => e["type"]!.ToString() != "DELETED");
        Assert.Equal("IPv4", v4["object"]!["addressType"]!.ToString());
    }

    private async Task Post(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _host.Http.PostAsync(path, content);
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
