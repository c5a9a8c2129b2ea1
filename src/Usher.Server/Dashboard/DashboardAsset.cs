namespace Usher.Server.Dashboard;

/// <summary>One file of the dashboard, as embedded in the server.</summary>
/// <param name="Path">Its path under <c>/dashboard/</c>.</param>
/// <param name="ContentType">Its media type.</param>
/// <param name="Content">Its bytes.</param>
/// <param name="ETag">A strong validator: a digest of the bytes, quoted.</param>
internal sealed record DashboardAsset(string Path, string ContentType, ReadOnlyMemory<byte> Content, string ETag);
