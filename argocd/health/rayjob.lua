-- Argo CD health check for ray.io/RayJob (KubeRay v1.7.0), delivered as
-- resource.customizations.health.ray.io_RayJob in argocd-cm (see docs/argocd.md).
-- Argo CD runs it without the standard libraries: base and table only, no string or math.
--
-- Sources (ray-operator/ at v1.7.0):
--   apis/ray/v1/rayjob_types.go: jobDeploymentStatus "" (New), Initializing, Running, Complete,
--     Failed, ValidationFailed, Suspending, Suspended, Retrying, Waiting; jobStatus PENDING,
--     RUNNING, STOPPED, SUCCEEDED, FAILED; reason (JobFailedReason), message, failed.
--   controllers/ray/rayjob_controller.go: a Ray job ending FAILED makes the deployment Failed
--     (AppFailed), SUCCEEDED or STOPPED make it Complete; a Failed with retries left is turned
--     into Retrying before the status is written (checkBackoffLimitAndUpdateStatusIfNeeded), so
--     a stored Failed is final; only Initializing and Running move to Suspending; Suspended with
--     spec.suspend false goes back to New.
-- status.observedGeneration is deliberately not used: the v1.7.0 RayJob controller never writes
-- it, so comparing it with metadata.generation would keep every RayJob Progressing.
--
-- A RayJob holds its RollingSync step until the job ends: Running is Progressing, a job that
-- ended SUCCEEDED is Healthy, one that failed or was stopped is Degraded.

local function result(health, message)
  return { status = health, message = message }
end

-- " (Reason): message" of the status, leaving out what is empty.
local function detail(status)
  local text = ""
  if status.reason ~= nil and status.reason ~= "" then
    text = " (" .. status.reason .. ")"
  end
  if status.message ~= nil and status.message ~= "" then
    text = text .. ": " .. status.message
  end
  return text
end

local function assess(obj)
  local status = obj.status
  if status == nil then
    return result("Progressing", "waiting for the KubeRay operator to report status")
  end
  local spec = obj.spec or {}
  local labels = (obj.metadata or {}).labels or {}
  local deployment = status.jobDeploymentStatus or ""
  local job = status.jobStatus or ""

  if deployment == "Complete" then
    if job == "SUCCEEDED" then
      return result("Healthy", "job SUCCEEDED")
    end
    return result("Degraded", "job ended " .. job .. " without succeeding" .. detail(status))
  end
  if deployment == "Failed" then
    return result("Degraded", "job failed" .. detail(status))
  end
  if deployment == "ValidationFailed" then
    return result("Degraded", "the operator rejected the RayJob" .. detail(status))
  end
  if deployment == "Suspended" then
    if spec.suspend ~= true then
      return result("Progressing", "resuming: spec.suspend was cleared")
    end
    local queue = labels["kueue.x-k8s.io/queue-name"]
    if queue ~= nil then
      return result("Suspended", 'suspended until Kueue admits it (LocalQueue "' .. queue .. '")')
    end
    return result("Suspended", "suspended: spec.suspend is true; its RayCluster and submitter are deleted")
  end
  if deployment == "Suspending" then
    return result("Progressing", "suspending: deleting its RayCluster and submitter")
  end
  if deployment == "Waiting" then
    return result("Healthy", "RayCluster ready, waiting for a job to be submitted (InteractiveMode)")
  end
  if spec.suspend == true then
    return result("Progressing", "suspending: spec.suspend is true")
  end
  if deployment == "" then
    return result("Progressing", "new: waiting for the operator to initialize it")
  end
  if deployment == "Initializing" then
    local cluster = ""
    if status.rayClusterName ~= nil and status.rayClusterName ~= "" then
      cluster = ' "' .. status.rayClusterName .. '"'
    end
    return result("Progressing", "initializing: waiting for RayCluster" .. cluster .. " to be ready")
  end
  if deployment == "Running" then
    if job == "" then
      return result("Progressing", "running: job submitted, no Ray job status yet")
    end
    return result("Progressing", "running: Ray job " .. job)
  end
  if deployment == "Retrying" then
    local limit = ""
    if spec.backoffLimit ~= nil then
      limit = " of " .. tostring(spec.backoffLimit + 1)
    end
    return result("Progressing", "retrying: attempt " .. tostring(status.failed or 0) .. limit .. " failed"
      .. detail(status))
  end
  return result("Unknown", 'unknown jobDeploymentStatus "' .. deployment .. '"')
end

return assess(obj)
