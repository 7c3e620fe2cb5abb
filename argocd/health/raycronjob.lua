-- Argo CD health check for ray.io/RayCronJob (KubeRay v1.7.0), delivered as
-- resource.customizations.health.ray.io_RayCronJob in argocd-cm (see docs/argocd.md).
-- Argo CD runs it without the standard libraries: base and table only, no string or math.
--
-- Sources (ray-operator/ at v1.7.0):
--   apis/ray/v1/raycronjob_types.go: spec.suspend stops scheduling; the whole status is
--     lastScheduleTime, with no conditions and no observedGeneration.
--   controllers/ray/raycronjob_controller.go: the status is written only when a RayJob is
--     created (updateRayCronJobStatus), and the controller runs only with the operator's
--     feature gate RayCronJob=true (pkg/features/features.go: alpha, off by default).
-- So a missing status is the normal state until the first scheduled run, possibly days away:
-- it is Healthy, not Progressing, or it would hold its RollingSync step until then. Nothing in
-- the status tells a failure apart: the RayJobs it creates carry their own health.

local function result(health, message)
  return { status = health, message = message }
end

local function assess(obj)
  local spec = obj.spec or {}
  local schedule = ""
  if spec.schedule ~= nil then
    schedule = ' "' .. spec.schedule .. '"'
  end
  if spec.suspend == true then
    return result("Suspended", "scheduling suspended: spec.suspend is true, no new RayJobs are created")
  end
  local status = obj.status or {}
  if status.lastScheduleTime == nil then
    return result("Healthy", "no RayJob scheduled yet (schedule" .. schedule .. ")")
  end
  return result("Healthy", "last RayJob scheduled at " .. status.lastScheduleTime .. " (schedule" .. schedule .. ")")
end

return assess(obj)
