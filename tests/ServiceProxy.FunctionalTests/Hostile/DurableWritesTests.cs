using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using ServiceProxy.FunctionalTests.Host;

namespace ServiceProxy.FunctionalTests.Hostile;

/// <summary>
/// <c>--data-dir</c> against the real process: what was answered 2xx survives a restart, what was
/// refused leaves no trace (memory, watch history, data plane, disk), and one process owns a directory.
/// Failures are injected with a directory where the object's file must go: root cannot write over it either.
/// </summary>
public sealed class DurableWritesTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("svcproxy-durable-").FullName;
    private readonly string _cidrPrefix = $"127.{Random.Shared.Next(101, 250)}.{Random.Shared.Next(0, 256)}";

    private string[] Args => ["--data-dir", _dataDir, "--service-cidr", _cidrPrefix + ".0/24"];

    public void Dispose() => Directory.Delete(_dataDir, recursive: true);

    [Fact]
    public async Task A_pod_with_a_250_character_name_is_created_and_back_after_kill_9()
    {
        var name = new string('p', 250);
        await using (var first = await CanaryHost.StartAsync(Args))
        {
            var (status, body) = await PostAsync(first.Host, "pods", PodJson(name));
            Assert.True(status == HttpStatusCode.Created, $"{(int)status}: {body}");
            await first.AssertServingAsync();
            await first.Host.KillAsync();
        }

        await using var second = await CanaryHost.StartAsync(Args);
        using var get = await second.Host.Http.GetAsync($"/api/v1/namespaces/default/pods/{name}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        await second.AssertServingAsync();
    }

    [Fact]
    public async Task A_create_that_cannot_be_stored_is_a_5xx_and_leaves_no_object_event_listener_or_file()
    {
        var port = Ports.FreeTcpPort();
        var clusterIP = _cidrPrefix + ".77";
        await using (var canary = await CanaryHost.StartAsync(Args))
        {
            var version = await ListVersionAsync(canary.Host);
            BlockFile("Service", "victim");

            var (status, body) = await PostAsync(canary.Host, "services", ServiceJson("victim", clusterIP, port));

            Assert.True((int)status >= 500, $"{(int)status}: {body}");
            Assert.Contains("storage", body, StringComparison.Ordinal);
            using (var get = await canary.Host.Http.GetAsync("/api/v1/namespaces/default/services/victim"))
            {
                Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
            }

            Assert.DoesNotContain("victim", await WatchReplayAsync(canary.Host, version), StringComparison.Ordinal);
            await Task.Delay(500);
            Assert.False(await ListensAsync(clusterIP, port), $"{clusterIP}:{port} is served for a refused Service");
            await canary.AssertServingAsync();

            // Its clusterIP was released: with the obstacle gone the same create succeeds.
            UnblockFiles();
            (status, body) = await PostAsync(canary.Host, "services", ServiceJson("victim", clusterIP, port));
            Assert.True(status == HttpStatusCode.Created, $"{(int)status}: {body}");
            await DeleteAsync(canary.Host, "victim", HttpStatusCode.OK);
            BlockFile("Service", "victim");
            (status, _) = await PostAsync(canary.Host, "services", ServiceJson("victim", clusterIP, port));
            Assert.True((int)status >= 500);
            await canary.Host.KillAsync();
        }

        UnblockFiles();
        await using var restarted = await CanaryHost.StartAsync(Args);
        using var after = await restarted.Host.Http.GetAsync("/api/v1/namespaces/default/services/victim");
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    [Fact]
    public async Task A_delete_that_cannot_be_stored_is_a_5xx_and_the_object_stays_everywhere()
    {
        var port = Ports.FreeTcpPort();
        var clusterIP = _cidrPrefix + ".78";
        await using (var canary = await CanaryHost.StartAsync(Args))
        {
            var (status, body) = await PostAsync(canary.Host, "services", ServiceJson("keeper", clusterIP, port));
            Assert.True(status == HttpStatusCode.Created, $"{(int)status}: {body}");
            Assert.True(await EventuallyListensAsync(clusterIP, port), $"{clusterIP}:{port} never served");
            var version = await ListVersionAsync(canary.Host);
            var (file, saved) = ReplaceFileWithDirectory("Service", "keeper");

            await DeleteAsync(canary.Host, "keeper", HttpStatusCode.InternalServerError);

            using (var get = await canary.Host.Http.GetAsync("/api/v1/namespaces/default/services/keeper"))
            {
                Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            }

            Assert.DoesNotContain("DELETED", await WatchReplayAsync(canary.Host, version), StringComparison.Ordinal);
            await Task.Delay(500);
            Assert.True(await EventuallyListensAsync(clusterIP, port), $"{clusterIP}:{port} no longer served after a refused delete:\n{canary.Host.Output}");
            await canary.AssertServingAsync();
            await canary.Host.KillAsync();
            Directory.Delete(file, recursive: true);
            File.WriteAllBytes(file, saved);
        }

        await using var restarted = await CanaryHost.StartAsync(Args);
        using var after = await restarted.Host.Http.GetAsync("/api/v1/namespaces/default/services/keeper");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task A_second_process_on_the_same_data_dir_refuses_to_start_and_names_the_holder()
    {
        await using var canary = await CanaryHost.StartAsync(Args);

        await using var second = await HostProcess.StartAsync(Args, waitReady: false);
        var exitCode = await second.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, exitCode);
        var refusal = Regex.Match(second.Output, $@"error: data directory {Regex.Escape(_dataDir)} is in use by another svcproxy \(pid (\d+)\)");
        Assert.True(refusal.Success, second.Output);

        // The pid named is the running host's (this test process may not read the lock file: .NET's own flock would refuse it).
        var holder = int.Parse(refusal.Groups[1].Value, CultureInfo.InvariantCulture);
        var commandLine = File.ReadAllText($"/proc/{holder}/cmdline").Split('\0');
        Assert.Contains(_dataDir, commandLine);
        Assert.Contains(canary.Host.AdminUrl.Replace("http://", string.Empty, StringComparison.Ordinal), commandLine);
        await canary.AssertServingAsync();

        // The lock dies with its holder.
        await canary.Host.KillAsync();
        await using var third = await HostProcess.StartAsync(Args);
        Assert.False(third.HasExited);
    }

    /// <summary>Where the current layout and the earlier one keep the object: the failure is injected at both.</summary>
    private IEnumerable<string> FilesOf(string kind, string name)
    {
        var plural = Path.Combine(_dataDir, "objects", kind.ToLowerInvariant() + "s");
        yield return Path.Combine(plural, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{kind}/default/{name}"))) + ".json");
        yield return Path.Combine(plural, "default", name + ".json");
    }

    private readonly List<string> _blocked = [];

    private void BlockFile(string kind, string name)
    {
        foreach (var file in FilesOf(kind, name))
        {
            Directory.CreateDirectory(Path.Combine(file, "in-the-way"));
            _blocked.Add(file);
        }
    }

    private void UnblockFiles()
    {
        _blocked.ForEach(file => Directory.Delete(file, recursive: true));
        _blocked.Clear();
    }

    private (string File, byte[] Saved) ReplaceFileWithDirectory(string kind, string name)
    {
        var file = FilesOf(kind, name).Single(File.Exists);
        var saved = File.ReadAllBytes(file);
        File.Delete(file);
        Directory.CreateDirectory(Path.Combine(file, "in-the-way"));
        return (file, saved);
    }

    private static string PodJson(string name) =>
        $$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}"},"spec":{"containers":[{"name":"app"}]}}""";

    private static string ServiceJson(string name, string clusterIP, int port) =>
        $$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{name}}}"},"spec":{"clusterIP":"{{{clusterIP}}}","ports":[{"port":{{{port}}}}]}}""";

    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(HostProcess host, string plural, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await host.Http.PostAsync($"/api/v1/namespaces/default/{plural}", content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task DeleteAsync(HostProcess host, string name, HttpStatusCode expected)
    {
        using var response = await host.Http.DeleteAsync($"/api/v1/namespaces/default/services/{name}");
        Assert.True(response.StatusCode == expected, $"DELETE {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<string> ListVersionAsync(HostProcess host)
    {
        var list = System.Text.Json.Nodes.JsonNode.Parse(await host.Http.GetStringAsync("/api/v1/services"));
        return list!["metadata"]!["resourceVersion"]!.ToString();
    }

    /// <summary>Every event since <paramref name="version"/>, as a watch from there replays them (it ends after a second).</summary>
    private static Task<string> WatchReplayAsync(HostProcess host, string version) =>
        host.Http.GetStringAsync($"/api/v1/services?watch=true&resourceVersion={version}&timeoutSeconds=1");

    private static async Task<bool> ListensAsync(string address, int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await socket.ConnectAsync(IPAddress.Parse(address), port, timeout.Token);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<bool> EventuallyListensAsync(string address, int port)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (await ListensAsync(address, port))
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }
}
