using System.CommandLine;
using ServiceProxy.Host.Admin;
using ServiceProxy.Host.Printing;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Cli;

/// <summary><c>svcproxy describe svc|pod|node NAME</c>: the service with its endpoints, the pod with its readiness, or the node with its heartbeat Lease, in kubectl's layout.</summary>
internal static class DescribeCommand
{
    public static Command Create(GlobalOptions global)
    {
        var resourceArgument = new Argument<string>("resource") { Description = "services (svc), pods (po) or nodes (no)." };
        var nameArgument = new Argument<string[]>("name") { Arity = ArgumentArity.OneOrMore };
        var command = new Command("describe", "Show details of a service, a pod or a node.") { resourceArgument, nameArgument };
        command.SetAction((result, cancellationToken) => GlobalOptions.RunAsync(async () =>
        {
            var resource = ApiPaths.Resolve(result.GetValue(resourceArgument)!);
            if (resource.Kind is not ("Service" or "Pod" or "Node"))
            {
                throw new CliException($"error: describe supports services, pods and nodes only, not {resource.Plural}");
            }

            var endpointsResource = KubeResource.OfKind("Endpoints")!;
            var ns = global.NamespaceOf(result);
            using var client = global.CreateClient(result);
            var first = true;
            foreach (var name in result.GetValue(nameArgument)!)
            {
                var obj = ObjectOutput.ToObject(resource, (await client.GetAsync(ApiPaths.Item(resource, ns, name), cancellationToken)).EnsureSuccess());
                if (obj is Node node)
                {
                    var leaseResource = KubeResource.OfKind("Lease")!;
                    var leaseResponse = await client.GetAsync(ApiPaths.Item(leaseResource, Lease.NodeLeaseNamespace, name), cancellationToken);
                    var lease = leaseResponse.IsSuccess && leaseResponse.Body is { } leaseBody ? (Lease)ObjectOutput.ToObject(leaseResource, leaseBody) : null;
                    await Console.Out.WriteAsync((first ? string.Empty : "\n\n") + NodeDescriber.Describe(node, lease));
                    first = false;
                    continue;
                }

                if (obj is Pod pod)
                {
                    await Console.Out.WriteAsync((first ? string.Empty : "\n\n") + PodDescriber.Describe(pod));
                    first = false;
                    continue;
                }

                var service = (Service)obj;
                var endpointsResponse = await client.GetAsync(ApiPaths.Item(endpointsResource, ns, name), cancellationToken);
                var endpoints = endpointsResponse.IsSuccess && endpointsResponse.Body is { } body ? (Endpoints)ObjectOutput.ToObject(endpointsResource, body) : null;
                await Console.Out.WriteAsync((first ? string.Empty : "\n\n") + ServiceDescriber.Describe(service, endpoints));
                first = false;
            }

            return 0;
        }));
        return command;
    }
}
