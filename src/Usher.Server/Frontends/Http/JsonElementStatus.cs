namespace Usher.Server.Frontends.Http;

/// <summary>How converting one tensor element from JSON went.</summary>
internal enum JsonElementStatus
{
    /// <summary>Converted.</summary>
    Ok,
    /// <summary>The wrong kind of JSON value: a string for an integer, 1.5 for an integer, ...</summary>
    WrongKind,
    /// <summary>The right kind, but it does not fit the datatype: 300 for UINT8.</summary>
    OutOfRange,
    /// <summary>A string that is not valid UTF-8, or escapes an unpaired surrogate.</summary>
    InvalidText,
}
