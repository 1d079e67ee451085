using System.Net;
using ServiceProxy.Configuration;
using ServiceProxy.Hosting;

namespace ServiceProxy.Tests.Hosting;

public sealed class ReconcilePlanTests
{
    private static ServicePortConfig Port(string name, string listen = "10.96.0.1:80", params string[] endpoints) => new()
    {
        Key = new ServicePortKey("default", name, "http", TransportProtocol.Tcp),
        ListenEndPoints = [IPEndPoint.Parse(listen)],
        Endpoints = [.. endpoints.Select(IPEndPoint.Parse)],
    };

    private static Dictionary<ServicePortKey, ServicePortConfig> Running(params ServicePortConfig[] ports) => ports.ToDictionary(p => p.Key);

    [Fact]
    public void An_empty_start_adds_everything()
    {
        var plan = ReconcilePlan.Create(Running(), [Port("a"), Port("b", "10.96.0.2:80")]);

        Assert.Equal(2, plan.Added.Count);
        Assert.Empty(plan.Removed);
        Assert.Empty(plan.Updated);
        Assert.Empty(plan.Restarted);
    }

    [Fact]
    public void Equal_ports_are_unchanged_even_as_new_instances()
    {
        var plan = ReconcilePlan.Create(Running(Port("a", endpoints: "10.0.0.1:8080")), [Port("a", endpoints: "10.0.0.1:8080")]);

        Assert.Equal(1, plan.Unchanged);
        Assert.Empty(plan.Added);
        Assert.Empty(plan.Updated);
        Assert.Empty(plan.Restarted);
    }

    [Fact]
    public void New_endpoints_or_affinity_with_the_same_listeners_is_an_update()
    {
        var old = Port("a", endpoints: "10.0.0.1:8080");
        var plan = ReconcilePlan.Create(Running(old, Port("b", "10.96.0.2:80")),
            [Port("a", endpoints: "10.0.0.2:8080"), Port("b", "10.96.0.2:80") with { Affinity = AffinityConfig.ForClientIP(60) }]);

        Assert.Equal(2, plan.Updated.Count);
        Assert.Empty(plan.Restarted);
    }

    [Fact]
    public void A_changed_listen_address_is_a_restart()
    {
        var plan = ReconcilePlan.Create(Running(Port("a")), [Port("a", "10.96.0.9:80")]);

        Assert.Equal("10.96.0.9:80", Assert.Single(plan.Restarted).ListenEndPoints[0].ToString());
        Assert.Empty(plan.Updated);
    }

    [Fact]
    public void A_missing_port_is_removed_and_others_untouched()
    {
        var plan = ReconcilePlan.Create(Running(Port("a"), Port("b", "10.96.0.2:80")), [Port("b", "10.96.0.2:80")]);

        Assert.Equal("a", Assert.Single(plan.Removed).Name);
        Assert.Equal(1, plan.Unchanged);
    }

    [Fact]
    public void A_repeated_key_is_reported_and_the_last_one_wins()
    {
        var plan = ReconcilePlan.Create(Running(), [Port("a", endpoints: "10.0.0.1:1"), Port("a", endpoints: "10.0.0.2:2")]);

        Assert.Equal("a", Assert.Single(plan.Duplicates).Name);
        Assert.Equal("10.0.0.2:2", Assert.Single(plan.Added).Endpoints[0].ToString());
    }
}
