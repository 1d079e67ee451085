using Google.Protobuf;
using ServiceProxy.Kubernetes.Coordination;
using ServiceProxy.Kubernetes.Registry.Etcd;

namespace ServiceProxy.Tests.Kubernetes.Registry.Etcd;

public sealed class EtcdKeysTests
{
    private readonly EtcdKeys _keys = new("/registry");

    [Theory]
    [InlineData("Service", "default", "web", "/registry/services/specs/default/web")]
    [InlineData("Endpoints", "default", "web", "/registry/services/endpoints/default/web")]
    [InlineData("Pod", "team", "web-1", "/registry/pods/team/web-1")]
    [InlineData("Lease", "kube-node-lease", "node-a", "/registry/leases/kube-node-lease/node-a")]
    [InlineData("Node", "default", "node-a", "/registry/minions/node-a")]
    public void Objects_are_kept_under_kube_apiserver_keys_and_read_back(string kind, string @namespace, string name, string key)
    {
        Assert.Equal(key, _keys.Object(kind, @namespace, name).ToStringUtf8());
        Assert.Equal((kind, false, @namespace, name), _keys.Parse(ByteString.CopyFromUtf8(key)));
    }

    [Fact]
    public void The_default_leader_election_key_is_no_object_so_no_api_write_can_take_the_election_over()
    {
        Assert.StartsWith("/registry/", new LeaderElectionOptions().Key);
        Assert.Null(_keys.Parse(ByteString.CopyFromUtf8(new LeaderElectionOptions().Key)).Kind);
    }
}
