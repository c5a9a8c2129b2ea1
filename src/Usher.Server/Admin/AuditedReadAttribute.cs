namespace Usher.Server.Admin;

/// <summary>
/// Endpoint metadata: a read on an admin route that is an action all the same, so it is audited like
/// a change (the model download: who copied the model). Other reads (status, history, the
/// dashboard's polling) are not audited.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, Inherited = true)]
internal sealed class AuditedReadAttribute : Attribute
{
    /// <summary>The one instance that routes carry.</summary>
    public static readonly AuditedReadAttribute Instance = new();
}
