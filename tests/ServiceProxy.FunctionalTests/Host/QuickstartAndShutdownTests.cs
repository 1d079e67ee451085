namespace ServiceProxy.FunctionalTests.Host;

public sealed class QuickstartAndShutdownTests
{
    [Fact]
    public async Task Quickstart_goes_round_robin_then_sticks_after_the_ClientIP_patch()
    {
        var nodePort = Ports.FreeTcpPort();

        var result = await HostProcess.RunCliAsync(["quickstart", "--admin", "127.0.0.1:0", "--node-port", $"{nodePort}", "--backend-port", "0", "--requests", "6", "--exit"]);

        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        var loops = result.Stdout.Split("/hostname.html; done\n");
        Assert.Equal(3, loops.Length);
        var roundRobin = loops[1].Split('\n').Take(6).ToList();
        var sticky = loops[2].Split('\n').Take(6).ToList();
        Assert.All(roundRobin.Concat(sticky), name => Assert.Matches("^myapp-deploy-69b47bc96d-[a-z0-9]{5}$", name));
        Assert.Equal(3, roundRobin.Distinct().Count());
        Assert.Single(sticky.Distinct());
        Assert.Contains($"80:{nodePort}/TCP", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("service/myapp patched", result.Stdout, StringComparison.Ordinal);

        // Cluster DNS on 127.100.0.10:53 answers the ClusterIP the table shows, or quickstart says why it is off.
        var clusterIP = System.Text.RegularExpressions.Regex.Match(result.Stdout, @"myapp\s+NodePort\s+(\S+)").Groups[1].Value;
        Assert.True(
            result.Stdout.Contains($"$ dig +short @127.100.0.10 myapp.default.svc.cluster.local\n{clusterIP}\n", StringComparison.Ordinal)
                || result.Stdout.Contains("Cluster DNS is off: 127.100.0.10:53 cannot be bound", StringComparison.Ordinal),
            result.Stdout);
    }

    [Fact]
    public async Task Quickstart_resolves_its_service_through_cluster_dns_on_the_port_it_is_given()
    {
        var ports = Ports.FreeTcpPorts(2);
        var result = await HostProcess.RunCliAsync(["quickstart", "--admin", "127.0.0.1:0", "--node-port", $"{ports[0]}", "--backend-port", "0", "--requests", "1", "--exit", "--dns", $"127.0.0.1:{ports[1]}"]);

        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        var clusterIP = System.Text.RegularExpressions.Regex.Match(result.Stdout, @"myapp\s+NodePort\s+(\S+)").Groups[1].Value;
        Assert.Matches(@"\$ dig \+short @127\.0\.0\.1 -p \d+ myapp\.default\.svc\.cluster\.local\n" + System.Text.RegularExpressions.Regex.Escape(clusterIP) + "\n", result.Stdout);
    }

    [Fact]
    public async Task Sigterm_stops_the_host_cleanly()
    {
        await using var host = await HostProcess.StartAsync(["--log-format", "json"]);

        var exitCode = await host.TerminateAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, exitCode);
        Assert.Contains(host.Output.Split('\n'), line => line.StartsWith('{') && line.Contains("\"Category\"", StringComparison.Ordinal));
    }
}
