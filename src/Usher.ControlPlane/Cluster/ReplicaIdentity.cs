using System.Security.Cryptography;
using System.Text;

namespace Usher.ControlPlane.Cluster;

/// <summary>
/// What a replica says of itself when it registers, fixed for its process run: its id, where it
/// answers, its region and its labels. What changes (models, queue depth) is <see cref="ReplicaLoad"/>.
/// </summary>
/// <param name="Id">Unique per process run (<see cref="NewId"/>); also the leader election session's <c>application_name</c>, so at most 63 bytes.</param>
/// <param name="HttpAddress">Base URL of its REST front end, for example <c>http://10.0.0.5:8000</c>.</param>
/// <param name="GrpcAddress">Base URL of its gRPC front end, or null when it serves none.</param>
/// <param name="Region">Its region (<c>--region</c>; <c>default</c> when not given).</param>
/// <param name="Labels">Its labels (<c>--label hw=cpu,...</c>).</param>
internal sealed record ReplicaIdentity(string Id, string HttpAddress, string? GrpcAddress, string Region, IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>PostgreSQL keeps the first 63 bytes of an <c>application_name</c> (NAMEDATALEN - 1).</summary>
    public const int MaxIdBytes = 63;

    /// <summary>The region of a replica started without <c>--region</c>.</summary>
    public const string DefaultRegion = "default";

    /// <summary>A fresh id for this process run: the host's name (cut to 40 characters) and 12 random hex digits.</summary>
    public static string NewId()
    {
        var host = Environment.MachineName;
        host = host.Length > 40 ? host[..40] : host;
        return $"{host}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
    }

    /// <summary>Every problem with the identity, each naming the field and what it expects; empty when valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Id) || Encoding.UTF8.GetByteCount(Id) > MaxIdBytes)
        {
            problems.Add($"replica id: expected 1 to {MaxIdBytes} bytes, got '{Id}'");
        }

        if (!Uri.TryCreate(HttpAddress, UriKind.Absolute, out var http) || (http.Scheme != Uri.UriSchemeHttp && http.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add($"replica http address: expected an absolute http:// or https:// URL, got '{HttpAddress}'");
        }

        if (GrpcAddress is not null && (!Uri.TryCreate(GrpcAddress, UriKind.Absolute, out var grpc) || (grpc.Scheme != Uri.UriSchemeHttp && grpc.Scheme != Uri.UriSchemeHttps)))
        {
            problems.Add($"replica grpc address: expected an absolute http:// or https:// URL, got '{GrpcAddress}'");
        }

        if (string.IsNullOrWhiteSpace(Region))
        {
            problems.Add("replica region: expected a name, got an empty one");
        }

        return problems;
    }
}
