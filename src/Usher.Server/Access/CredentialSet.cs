using System.Security.Cryptography;
using System.Text;

namespace Usher.Server.Access;

/// <summary>
/// An immutable set of credentials. A presented secret is hashed once and compared with every
/// entry's hash in constant time, with no early exit, so neither which entry matched nor how much of
/// it did shows in the time taken.
/// </summary>
internal sealed class CredentialSet
{
    /// <summary>The longest secret accepted (characters); a longer one matches nothing, unhashed.</summary>
    public const int MaxSecretLength = 1024;

    private readonly Credential[] _entries;

    public CredentialSet(IEnumerable<Credential> entries) => _entries = [.. entries];

    public int Count => _entries.Length;

    /// <summary>The names, in file order (for logs: names, never secrets).</summary>
    public IEnumerable<string> Names => _entries.Select(e => e.Name);

    /// <summary>The credential whose secret is <paramref name="secret"/>, or null.</summary>
    public Credential? Find(ReadOnlySpan<char> secret)
    {
        if (secret.IsEmpty || secret.Length > MaxSecretLength)
        {
            return null;
        }

        Span<byte> utf8 = stackalloc byte[MaxSecretLength * 3];
        var length = Encoding.UTF8.GetBytes(secret, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], hash);
        Credential? found = null;
        foreach (var entry in _entries)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, entry.Hash))
            {
                found = entry;
            }
        }

        return found;
    }

    /// <summary>SHA-256 of <paramref name="secret"/>'s UTF-8 text.</summary>
    public static byte[] HashOf(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
