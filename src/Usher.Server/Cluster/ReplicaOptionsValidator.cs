using Usher.Core.Hosting;

namespace Usher.Server.Cluster;

/// <summary>The rules of <see cref="ReplicaOptions"/>, each problem naming its key (<c>cluster.labels</c>).</summary>
internal sealed class ReplicaOptionsValidator : ProblemsValidator<ReplicaOptions>
{
    /// <inheritdoc />
    protected override IEnumerable<string> Check(ReplicaOptions options)
    {
        if (options.Region is not null && string.IsNullOrWhiteSpace(options.Region))
        {
            yield return "cluster.region: expected a region name, got an empty value (leave it out for 'default')";
        }

        var problems = new List<string>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, _) in ReplicaOptions.ReadLabels(options.Labels, problems))
        {
            if (!keys.Add(key))
            {
                problems.Add($"cluster.labels: the key '{key}' is given twice in '{options.Labels}'");
            }
        }

        foreach (var problem in problems)
        {
            yield return problem;
        }

        if (options.Advertise is { } advertise
            && (!Uri.TryCreate(advertise, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || IsAnyAddress(uri.Host)))
        {
            yield return $"cluster.advertise: expected the http:// or https:// URL other machines reach this replica at (for example http://10.0.0.5:8000), got '{advertise}'";
        }
    }

    /// <summary>Whether <paramref name="host"/> is a wildcard listen address, which no other machine can reach.</summary>
    public static bool IsAnyAddress(string host) => host.Trim('[', ']') is "0.0.0.0" or "::" or "*" or "+";
}
