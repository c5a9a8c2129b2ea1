using System.Security.Claims;

namespace Usher.Server.Access;

/// <summary>
/// One named credential (an API key or an admin token): its name and the SHA-256 of its text. The
/// text itself is never kept, logged or echoed; the name is what logs and the audit trail show.
/// </summary>
internal sealed class Credential
{
    /// <summary>The authentication type of the principals made here.</summary>
    public const string AuthenticationType = "Usher";

    public Credential(string name, byte[] hash)
    {
        Name = name;
        Hash = hash;
        Principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], AuthenticationType));
    }

    /// <summary>The name the file gives it (<c>NAME KEY</c>).</summary>
    public string Name { get; }

    /// <summary>SHA-256 of the credential's UTF-8 text.</summary>
    public byte[] Hash { get; }

    /// <summary>The request's user once it presented this credential (one instance, never changed).</summary>
    public ClaimsPrincipal Principal { get; }
}
