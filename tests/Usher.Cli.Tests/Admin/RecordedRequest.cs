namespace Usher.Cli.Tests.Admin;

/// <summary>One request as the <see cref="FakeAdminHandler"/> received it.</summary>
internal sealed record RecordedRequest(string Method, string Url, string? Authorization, string? ContentType, string? Body);
