using Usher.ControlPlane.Cluster;
using Usher.Core.Hosting;

namespace Usher.Server.Cluster;

/// <summary>Runs <see cref="ClusterOptions.Problems"/> (the rules, defined once there) at start-up, each problem naming its key.</summary>
internal sealed class ClusterOptionsValidator : ProblemsValidator<ClusterOptions>
{
    /// <inheritdoc />
    protected override IEnumerable<string> Check(ClusterOptions options) => options.Problems();
}
