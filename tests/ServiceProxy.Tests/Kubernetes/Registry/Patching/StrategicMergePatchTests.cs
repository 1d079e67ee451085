using System.Text.Json.Nodes;
using ServiceProxy.Kubernetes.Registry.Patching;

namespace ServiceProxy.Tests.Kubernetes.Registry.Patching;

public sealed class StrategicMergePatchTests
{
    private static void AssertPatch(string kind, string original, string patch, string expected)
    {
        var result = StrategicMergePatch.Apply(JsonNode.Parse(original), JsonNode.Parse(patch), kind);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), result?.ToJsonString());
    }

    [Fact]
    public void Service_ports_merge_by_port()
    {
        AssertPatch(
            "Service",
            """{"spec":{"ports":[{"name":"http","port":80,"targetPort":8080},{"name":"https","port":443}]}}""",
            """{"spec":{"ports":[{"port":80,"targetPort":9090},{"port":9000,"name":"metrics"}]}}""",
            """{"spec":{"ports":[{"name":"http","port":80,"targetPort":9090},{"name":"https","port":443},{"port":9000,"name":"metrics"}]}}""");
    }

    [Fact]
    public void Port_item_with_patch_delete_is_removed()
    {
        AssertPatch(
            "Service",
            """{"spec":{"ports":[{"port":80},{"port":443}]}}""",
            """{"spec":{"ports":[{"port":80,"$patch":"delete"}]}}""",
            """{"spec":{"ports":[{"port":443}]}}""");
    }

    [Fact]
    public void Same_port_number_over_another_protocol_is_another_port()
    {
        AssertPatch(
            "Service",
            """{"spec":{"ports":[{"name":"dns-tcp","port":53,"protocol":"TCP"}]}}""",
            """{"spec":{"ports":[{"name":"dns-udp","port":53,"protocol":"UDP"}]}}""",
            """{"spec":{"ports":[{"name":"dns-tcp","port":53,"protocol":"TCP"},{"name":"dns-udp","port":53,"protocol":"UDP"}]}}""");
    }

    [Fact]
    public void Set_element_order_as_kubectl_apply_sends_it_orders_the_ports_and_is_not_stored()
    {
        AssertPatch(
            "Service",
            """{"spec":{"ports":[{"port":80},{"port":443}]}}""",
            """{"spec":{"$setElementOrder/ports":[{"port":443},{"port":80}],"ports":[{"port":443,"name":"https"}]}}""",
            """{"spec":{"ports":[{"port":443,"name":"https"},{"port":80}]}}""");
    }

    [Fact]
    public void Maps_merge_nulls_delete_and_unkeyed_lists_replace()
    {
        AssertPatch(
            "Service",
            """{"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"selector":{"app":"x"},"externalIPs":["192.0.2.1"]}}""",
            """{"metadata":{"labels":{"b":null,"c":"3"}},"spec":{"externalIPs":["192.0.2.2"]}}""",
            """{"metadata":{"labels":{"a":"1","c":"3"}},"spec":{"selector":{"app":"x"},"externalIPs":["192.0.2.2"]}}""");
    }

    [Fact]
    public void Patch_replace_on_a_map_replaces_it()
    {
        AssertPatch(
            "Service",
            """{"spec":{"selector":{"app":"x","tier":"web"}}}""",
            """{"spec":{"selector":{"$patch":"replace","app":"y"}}}""",
            """{"spec":{"selector":{"app":"y"}}}""");
    }

    [Fact]
    public void Patch_replace_in_a_list_replaces_the_list()
    {
        AssertPatch(
            "Service",
            """{"spec":{"ports":[{"port":80},{"port":443}]}}""",
            """{"spec":{"ports":[{"$patch":"replace"},{"port":8080}]}}""",
            """{"spec":{"ports":[{"port":8080}]}}""");
    }

    [Fact]
    public void Pod_containers_merge_by_name_and_their_ports_by_container_port()
    {
        AssertPatch(
            "Pod",
            """{"spec":{"containers":[{"name":"app","image":"a:1","ports":[{"containerPort":80,"name":"http"}]},{"name":"side","image":"s:1"}]}}""",
            """{"spec":{"containers":[{"name":"app","image":"a:2","ports":[{"containerPort":9090,"name":"metrics"}]}]}}""",
            """{"spec":{"containers":[{"name":"app","image":"a:2","ports":[{"containerPort":80,"name":"http"},{"containerPort":9090,"name":"metrics"}]},{"name":"side","image":"s:1"}]}}""");
    }

    [Fact]
    public void Pod_status_conditions_merge_by_type()
    {
        AssertPatch(
            "Pod",
            """{"status":{"podIP":"10.0.0.1","conditions":[{"type":"Ready","status":"True"},{"type":"Initialized","status":"True"}]}}""",
            """{"status":{"conditions":[{"type":"Ready","status":"False"}]}}""",
            """{"status":{"podIP":"10.0.0.1","conditions":[{"type":"Ready","status":"False"},{"type":"Initialized","status":"True"}]}}""");
    }

    [Fact]
    public void Endpoints_subsets_have_no_merge_key_and_are_replaced()
    {
        AssertPatch(
            "Endpoints",
            """{"subsets":[{"addresses":[{"ip":"10.0.0.1"}]}]}""",
            """{"subsets":[{"addresses":[{"ip":"10.0.0.2"}]}]}""",
            """{"subsets":[{"addresses":[{"ip":"10.0.0.2"}]}]}""");
    }
}
