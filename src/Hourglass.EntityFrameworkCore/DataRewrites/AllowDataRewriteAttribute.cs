namespace Hourglass.EntityFrameworkCore.DataRewrites;

/// <summary>
/// Lets <c>dotnet ef migrations add</c> generate, for this entity, a model change whose cost grows with the data: a
/// table rebuilt with every row copied (a hypertable turned back into a plain table, a changed time column or dimension,
/// an existing table turned into a hypertable without <c>MigrateData()</c>) or chunks converted back to rowstore (the
/// columnstore of a hypertable or continuous aggregate turned off). The same as <c>AllowDataRewrite()</c> on the entity.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = true)]
public sealed class AllowDataRewriteAttribute : Attribute
{
}
