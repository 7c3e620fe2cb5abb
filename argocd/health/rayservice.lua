-- Argo CD health check for ray.io/RayService (KubeRay v1.7.0), delivered as
-- resource.customizations.health.ray.io_RayService in argocd-cm (see docs/argocd.md).
-- Argo CD runs it without the standard libraries: base and table only, no string or math.
--
-- Sources (ray-operator/ at v1.7.0):
--   apis/ray/v1/rayservice_types.go: conditions Ready, UpgradeInProgress, RollbackInProgress,
--     Suspending, Suspended; reasons ValidationFailed, InitializingTimeout, ZeroServeEndpoints;
--     Serve application statuses NOT_STARTED, DEPLOYING, RUNNING, DEPLOY_FAILED, DELETING,
--     UNHEALTHY; observedGeneration.
--   controllers/ray/rayservice_controller.go: calculateStatus sets observedGeneration and copies
--     it into the conditions it sets, but the status is written only when something else changed
--     (utils.InconsistentRayServiceStatuses). Once Ready, every reconcile sets Ready and
--     UpgradeInProgress, so a new generation shows within a reconcile; while initializing no
--     condition is set and observedGeneration can lag for good. So a lag counts only when the
--     status says Ready: it stops a just-synced change from passing as Healthy on the status of
--     the previous generation. InitializingTimeout is terminal (isInitializingTimeout). Ready
--     only says "at least one Serve endpoint": a Serve application that failed to deploy keeps
--     Ready True, so application statuses are checked too.

local function condition(status, conditionType)
  if status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

-- " (Reason): message" of a condition, leaving out what is empty.
local function detail(c)
  local text = ""
  if c.reason ~= nil and c.reason ~= "" then
    text = " (" .. c.reason .. ")"
  end
  if c.message ~= nil and c.message ~= "" then
    text = text .. ": " .. c.message
  end
  return text
end

local function result(health, message)
  return { status = health, message = message }
end

-- Serve applications of an active or pending cluster, sorted by name (pairs has no order).
local function applications(serviceStatus)
  local apps = {}
  if serviceStatus == nil or serviceStatus.applicationStatuses == nil then
    return apps
  end
  local names = {}
  for name, _ in pairs(serviceStatus.applicationStatuses) do
    table.insert(names, name)
  end
  table.sort(names)
  for _, name in ipairs(names) do
    local app = serviceStatus.applicationStatuses[name]
    table.insert(apps, { name = name, status = app.status or "", message = app.message or "" })
  end
  return apps
end

local function describe(app, cluster)
  local text = cluster .. ' Serve application "' .. app.name .. '" is ' .. app.status
  if app.message ~= "" then
    text = text .. ": " .. app.message
  end
  return text
end

local function firstWith(apps, wanted)
  for _, app in ipairs(apps) do
    if wanted[app.status] then
      return app
    end
  end
  return nil
end

local FAILED = { DEPLOY_FAILED = true, UNHEALTHY = true }
local NOT_RUNNING = { NOT_STARTED = true, DEPLOYING = true, DELETING = true, [""] = true }

local function assess(obj)
  local status = obj.status
  if status == nil then
    return result("Progressing", "waiting for the KubeRay operator to report status")
  end
  local spec = obj.spec or {}
  local ready = condition(status, "Ready")
  local observed = tonumber(status.observedGeneration) or 0

  if ready ~= nil and ready.status == "False" then
    -- Validation failures keep the observedGeneration they were found at; a later valid
    -- generation moves status.observedGeneration past it but leaves the condition in place.
    if ready.reason == "ValidationFailed" and (tonumber(ready.observedGeneration) or 0) >= observed then
      return result("Degraded", "the operator rejected the RayService" .. detail(ready))
    end
    if ready.reason == "InitializingTimeout" then
      return result("Degraded", "initializing timed out, the operator gave up (delete and recreate it)"
        .. detail(ready))
    end
  end

  if isTrue(condition(status, "Suspended")) then
    if spec.suspend == true then
      return result("Suspended", "suspended: spec.suspend is true; its RayClusters and Services are deleted")
    end
    return result("Progressing", "resuming: spec.suspend was cleared")
  end
  if isTrue(condition(status, "Suspending")) then
    return result("Progressing", "suspending: deleting its RayClusters and Services")
  end
  if spec.suspend == true then
    return result("Progressing", "suspending: spec.suspend is true")
  end

  local active = applications(status.activeServiceStatus)
  local pending = applications(status.pendingServiceStatus)
  local failed = firstWith(active, FAILED)
  if failed ~= nil then
    return result("Degraded", describe(failed, "active cluster:"))
  end
  failed = firstWith(pending, FAILED)
  if failed ~= nil then
    return result("Degraded", describe(failed, "pending cluster:"))
  end

  if ready == nil then
    -- No conditions written yet: fall back to the deprecated serviceStatus.
    if status.serviceStatus == "Running" then
      return result("Healthy", "serving (serviceStatus Running)")
    end
    return result("Progressing", "waiting for the RayService to serve")
  end

  local rollback = condition(status, "RollbackInProgress")
  if isTrue(rollback) then
    return result("Progressing", "rolling back an upgrade" .. detail(rollback))
  end
  local upgrade = condition(status, "UpgradeInProgress")
  if isTrue(upgrade) then
    local deploying = firstWith(pending, NOT_RUNNING)
    if deploying ~= nil then
      return result("Progressing", "upgrade in progress: " .. describe(deploying, "pending cluster:"))
    end
    return result("Progressing", "upgrade in progress" .. detail(upgrade))
  end

  if ready.status == "True" then
    local generation = tonumber((obj.metadata or {}).generation) or 0
    if observed < generation then
      return result("Progressing", "generation " .. tostring(generation) .. " not yet in the status"
        .. " (it reports generation " .. tostring(observed) .. ")")
    end
    local deploying = firstWith(active, NOT_RUNNING)
    if deploying ~= nil then
      return result("Progressing", describe(deploying, "active cluster:"))
    end
    local names = {}
    for _, app in ipairs(active) do
      table.insert(names, app.name)
    end
    local apps = ""
    if #names > 0 then
      apps = ", applications RUNNING: " .. table.concat(names, ", ")
    end
    return result("Healthy", "serving: " .. tostring(status.numServeEndpoints or 0) .. " Serve endpoints" .. apps)
  end

  if ready.reason == "ZeroServeEndpoints" then
    return result("Degraded", "not serving" .. detail(ready))
  end
  local deploying = firstWith(pending, NOT_RUNNING)
  if deploying ~= nil then
    return result("Progressing", "initializing: " .. describe(deploying, "pending cluster:"))
  end
  deploying = firstWith(active, NOT_RUNNING)
  if deploying ~= nil then
    return result("Progressing", "initializing: " .. describe(deploying, "active cluster:"))
  end
  return result("Progressing", "initializing: no Serve endpoint ready yet")
end

return assess(obj)
