namespace ServiceProxy.FunctionalTests.Host;

/// <summary><c>svcproxy run</c> refuses a wrong setting at start, from any layer, with exit code 1 and the option named.</summary>
public sealed class RunOptionsTests
{
    [Fact]
    public async Task An_out_of_range_flag_stops_run_with_the_option_named()
    {
        await using var host = await HostProcess.StartAsync(["--busy-poll-us", "2000000"], waitReady: false);

        Assert.Equal(1, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("error: --busy-poll-us 2000000 is not within 0-1000000", host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admin_address_in_use_stops_run_with_the_address_named_and_no_crash()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var admin = $"127.0.0.1:{((System.Net.IPEndPoint)taken.LocalEndpoint).Port}";
        await using var host = await HostProcess.StartAsync(["--admin", admin], waitReady: false);

        Assert.Equal(1, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"error: cannot serve the admin API on {admin}", host.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_environment_variable_stops_run_with_the_option_named()
    {
        await using var host = await HostProcess.StartAsync([], new Dictionary<string, string> { ["SVCPROXY_NODE_PORT_RANGE"] = "32767-30000" }, waitReady: false);

        Assert.Equal(1, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("error: --node-port-range: invalid node port range \"32767-30000\": expected e.g. 30000-32767 within 1-65535", host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_key_in_the_config_file_stops_run_with_the_option_named()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("svcproxy-config-").FullName, "svcproxy.json");
        try
        {
            File.WriteAllText(file, """{ "ServiceProxy": { "Tcp": { "Engine": "fast" } } }""");
            await using var host = await HostProcess.StartAsync(["--config", file], waitReady: false);

            Assert.Equal(1, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("error: --tcp-engine \"fast\" is not one of socket, pipelines, splice", host.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }
}
