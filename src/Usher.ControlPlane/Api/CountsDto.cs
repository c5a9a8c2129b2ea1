namespace Usher.ControlPlane.Api;

/// <summary>A variant's counts on the wire: <c>{"requests": 950, "errors": 0}</c>.</summary>
/// <param name="Requests">Requests answered.</param>
/// <param name="Errors">Requests that failed.</param>
public sealed record CountsDto(long Requests, long Errors);
