namespace Usher.Server.Access;

/// <summary>What a credentials file held: the credentials when it is usable, else every problem (<c>file:line: ...</c>), and the SHA-256 of its bytes (to see whether it changed).</summary>
internal sealed record CredentialFileContent(CredentialSet? Credentials, IReadOnlyList<string> Problems, byte[]? Digest);
