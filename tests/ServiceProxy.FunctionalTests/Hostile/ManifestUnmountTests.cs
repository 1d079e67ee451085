using System.Diagnostics;
using System.Text.Json.Nodes;
using ServiceProxy.FunctionalTests.Host;
using ServiceProxy.FunctionalTests.Infrastructure;
using HostManifests = ServiceProxy.FunctionalTests.Host.Manifests;

namespace ServiceProxy.FunctionalTests.Hostile;

/// <summary>
/// A watched manifest directory that is a mount point (a tmpfs, as root may mount in CI): unmounting
/// it leaves the empty mount-point directory behind, which must not read as "every file was deleted".
/// </summary>
public sealed class ManifestUnmountTests : IAsyncLifetime
{
    /// <summary>More than the 2 s poll plus the 2 s longest debounce.</summary>
    private static readonly TimeSpan PastTheWatch = TimeSpan.FromSeconds(6);

    private readonly string _mountPoint = Directory.CreateTempSubdirectory("svcproxy-manifest-mount-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // A failed test may leave the tmpfs mounted (once or more): never leave a mount behind.
        for (var i = 0; i < 4 && IsMountPoint(_mountPoint); i++)
        {
            await RunAsync("umount", _mountPoint);
        }

        Directory.Delete(_mountPoint, recursive: true);
    }

    [Fact]
    public async Task An_unmounted_watched_directory_keeps_its_services_and_their_cluster_IPs()
    {
        await using var backends = await HttpBackends.StartAsync("mounted-pod");
        var nodePort = Ports.FreeTcpPort();
        var app = HostManifests.StaticService("app", nodePort, backends.Pods[0].Port);
        await MountAsync();
        File.WriteAllText(Path.Combine(_mountPoint, "app.yaml"), app);
        File.WriteAllText(Path.Combine(_mountPoint, "removed.yaml"), HostManifests.ClusterIPService("removed"));

        await using var host = await HostProcess.StartAsync(["-f", _mountPoint, "--watch", "--node-port-range", $"{nodePort}-{nodePort}"]);
        var clusterIP = await ClusterIPOfAsync(host, "app");
        Assert.NotNull(clusterIP);

        // A file deleted from the directory while it is still the mounted one still deletes its objects.
        File.Delete(Path.Combine(_mountPoint, "removed.yaml"));
        await host.WaitForOutputAsync("Service default/removed deleted: no longer in", TimeSpan.FromSeconds(20));

        await RunAsync("umount", _mountPoint);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_mountPoint));
        await Task.Delay(PastTheWatch);
        Assert.Equal(clusterIP, await ClusterIPOfAsync(host, "app"));
        await host.WaitForOutputAsync($"{_mountPoint} is not the directory its manifests were loaded from", TimeSpan.FromSeconds(5));
        Assert.Equal(["mounted-pod", "mounted-pod"], await ProxiedAsync(nodePort, clusterIP));

        // Mounted again with its files: nothing changed, so nothing is written, let alone recreated.
        await MountAsync();
        File.WriteAllText(Path.Combine(_mountPoint, "app.yaml"), app);
        await Task.Delay(PastTheWatch);
        Assert.Equal(clusterIP, await ClusterIPOfAsync(host, "app"));
        Assert.Equal(["mounted-pod", "mounted-pod"], await ProxiedAsync(nodePort, clusterIP));
        Assert.DoesNotContain("app.yaml is gone", host.Output, StringComparison.Ordinal);
        Assert.Single(host.Output.Split('\n'), l => l.Contains("Service default/app applied", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_mount_replaced_by_another_volume_applies_the_files_it_has()
    {
        await using var backends = await HttpBackends.StartAsync("first-pod", "second-pod");
        var nodePort = Ports.FreeTcpPort();
        await MountAsync();
        File.WriteAllText(Path.Combine(_mountPoint, "app.yaml"), HostManifests.StaticService("app", nodePort, backends.Pods[0].Port));
        File.WriteAllText(Path.Combine(_mountPoint, "other.yaml"), HostManifests.ClusterIPService("other"));

        await using var host = await HostProcess.StartAsync(["-f", _mountPoint, "--watch", "--node-port-range", $"{nodePort}-{nodePort}"]);
        var clusterIP = await ClusterIPOfAsync(host, "other");

        // Another volume over the same mount point, holding a changed app.yaml and no other.yaml.
        await MountAsync();
        File.WriteAllText(Path.Combine(_mountPoint, "app.yaml"), HostManifests.StaticService("app", nodePort, backends.Pods[1].Port));
        await WaitForPodAsync(nodePort, "second-pod");
        await host.WaitForOutputAsync($"{_mountPoint} is not the directory its manifests were loaded from", TimeSpan.FromSeconds(5));
        Assert.Equal(clusterIP, await ClusterIPOfAsync(host, "other"));

        // Once read from the new volume, a file deleted from it deletes its objects again.
        File.Delete(Path.Combine(_mountPoint, "app.yaml"));
        await host.WaitForOutputAsync("Service default/app deleted: no longer in", TimeSpan.FromSeconds(20));
        Assert.Equal(clusterIP, await ClusterIPOfAsync(host, "other"));
    }

    private Task MountAsync() => RunAsync("mount", "-t", "tmpfs", "-o", "size=1m", "none", _mountPoint);

    private static bool IsMountPoint(string path) =>
        File.ReadLines("/proc/self/mountinfo").Any(l => l.Split(' ')[4] == path);

    private static async Task RunAsync(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var result = await ProcessRunner.RunToExitAsync(process, null, TimeSpan.FromSeconds(10), command);
        Assert.True(result.ExitCode == 0, $"{command} {string.Join(' ', args)}: {result.Stderr}");
    }

    /// <summary>One request through the NodePort, one through the ClusterIP.</summary>
    private static async Task<List<string>> ProxiedAsync(int nodePort, string? clusterIP) =>
    [
        .. await Curl.LoopAsync($"http://127.0.0.1:{nodePort}/hostname.html", 1, TimeSpan.FromSeconds(20)),
        .. await Curl.LoopAsync($"http://{clusterIP}/hostname.html", 1, TimeSpan.FromSeconds(20)),
    ];

    private static async Task<string?> ClusterIPOfAsync(HostProcess host, string name)
    {
        var get = await host.CliAsync("get", "svc", name, "-o", "json");
        Assert.True(get.ExitCode == 0, $"get svc {name}: {get.Stderr}\n{host.Output}");
        return JsonNode.Parse(get.Stdout)?["spec"]?["clusterIP"]?.ToString();
    }

    /// <summary>Until the NodePort answers from <paramref name="pod"/> (the watch applies within its poll and debounce).</summary>
    private static async Task WaitForPodAsync(int nodePort, string pod)
    {
        var answered = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            answered = await Curl.LoopAsync($"http://127.0.0.1:{nodePort}/hostname.html", 1, TimeSpan.FromSeconds(20));
            if (answered.SequenceEqual([pod]))
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Equal([pod], answered);
    }
}
